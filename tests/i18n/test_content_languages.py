"""Campaign texts per language: the reader's language, else the campaign's own
fallback order, else English, with a note saying which language the story is in."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import translation

from campaigns.models import BudgetLine, Campaign
from tests.base import ZborTestCase, make_campaign
from tests.i18n.base import compile_catalogues


class FallbackChainTests(ZborTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def setUp(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            fallback_languages="be,ru,pl",
            title_be="Дапамажыце Канстанціну",
            story_ru="Он уехал из Беларуси в апреле 2024 года.",
            summary_pl="Były więzień polityczny zaczyna od nowa.",
        )
        BudgetLine.objects.filter(pk=self.rent.pk).update(label_pl="Czynsz")

    def page(self, language: str) -> str:
        with translation.override(language):
            return self.client.get(self.campaign.get_absolute_url()).content.decode()

    def test_each_text_follows_the_campaigns_order_until_one_is_written(self):
        html = self.page("uk")
        self.assertIn('<h1 lang="be">Дапамажыце Канстанціну</h1>', html)
        self.assertIn("Он уехал из Беларуси в апреле 2024 года.", html)
        self.assertIn("Były więzień polityczny zaczyna od nowa.", html)
        self.assertIn("Czynsz", html)  # pl comes before English
        self.assertIn("Paying off debts", html)  # English last

    def test_the_readers_own_language_comes_first(self):
        html = self.page("pl")
        self.assertIn("Czynsz", html)
        self.assertIn("Były więzień polityczny", html)
        self.assertIn("Дапамажыце Канстанціну", html)  # no Polish title: be

    def test_a_note_says_which_language_the_story_is_shown_in(self):
        notes = {
            "uk": "Цю історію показано російською мовою.",
            "be": "Гэтая гісторыя паказана па-руску.",
            "pl": "Ta historia jest pokazana po rosyjsku.",
        }
        for language, note in notes.items():
            with self.subTest(language=language):
                html = self.page(language)
                self.assertIn(note, html)
                self.assertIn('class="story" aria-label', html)
                self.assertIn('lang="ru">', html)

    def test_no_note_when_the_story_is_in_the_readers_language(self):
        for language in ("ru", "en"):
            with self.subTest(language=language):
                html = self.page(language)
                self.assertNotIn('class="content-language"', html)
                self.assertNotIn('class="story" aria-label="Story" lang=', html)

    def test_the_thank_you_page_and_email_name_the_line_in_the_same_order(self):
        from django.core import mail

        from donations.outbox import send_due
        from donations.pledging import Donor, pledge_create

        with translation.override("uk"), self.captureOnCommitCallbacks(execute=True):
            made = pledge_create(
                campaign=Campaign.objects.get(pk=self.campaign.pk),
                line=self.rent,
                amount=Decimal("25"),
                donor=Donor(email="ala@example.org", language="uk"),
                submission_token=None,
            )
        send_due()
        with translation.override("uk"):
            html = self.client.get(made.thanks_path()).content.decode()
        self.assertIn("Czynsz", html)  # no Ukrainian, Belarusian or Russian: pl
        self.assertIn("Czynsz", mail.outbox[0].body)

    def test_without_an_order_the_fallback_is_english(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(fallback_languages="")
        html = self.page("uk")
        self.assertIn('<h1 lang="en">Helping Konstantin M.', html)
        self.assertIn("Цю історію показано англійською мовою.", html)

    def test_the_list_shows_the_same_choice(self):
        with translation.override("uk"):
            html = self.client.get("/uk/").content.decode()
        self.assertIn("Дапамажыце Канстанціну", html)
        self.assertIn("Były więzień polityczny zaczyna od nowa.", html)


class ModelTests(ZborTestCase):
    def test_creating_with_the_plain_field_names_writes_english(self):
        campaign = make_campaign(slug="plain", title="Plain title")
        self.assertEqual(campaign.title_en, "Plain title")
        self.assertIsNone(campaign.title_pl)
        self.assertEqual(campaign.lines.first().label_en, SEED_FIRST_LABEL)

    def test_the_language_order_is_the_reader_the_campaign_then_english(self):
        self.campaign.fallback_languages = "be, RU"
        self.assertEqual(self.campaign.language_order("uk"), ["uk", "be", "ru", "en"])
        self.assertEqual(self.campaign.language_order("ru"), ["ru", "be", "en"])

    def test_an_unknown_or_repeated_language_is_refused(self):
        for value, code in (
            ("be,xx", "unknown_language"),
            ("be,be", "duplicate_language"),
        ):
            with self.subTest(value=value):
                self.campaign.fallback_languages = value
                with self.assertRaises(ValidationError) as caught:
                    self.campaign.full_clean()
                self.assertEqual(
                    caught.exception.error_dict["fallback_languages"][0].code, code
                )

    def test_line_labels_are_unique_per_language(self):
        BudgetLine.objects.filter(pk=self.rent.pk).update(label_pl="Czynsz")
        self.food.label_pl = "Czynsz"
        with self.assertRaises(ValidationError):
            self.food.full_clean()


SEED_FIRST_LABEL = "Rent for the first three months"
