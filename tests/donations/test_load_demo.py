import html
from io import StringIO

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from djmoney.money import Money

from campaigns.models import BudgetLine, Campaign, Photo
from tests.campaigns.helpers import TemporaryMediaMixin
from tests.i18n.base import compile_catalogues

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The texts every demo campaign has (campaigns.translation); other ways to give
# and the rule over the goal only some have.
CAMPAIGN_TEXTS = ("title", "summary", "story")


class LoadDemoTests(TemporaryMediaMixin, TestCase):
    def test_it_refuses_without_debug(self):
        with self.assertRaises(CommandError) as caught:
            call_command("load_demo", stdout=StringIO())
        self.assertIn("DEBUG", str(caught.exception))
        self.assertEqual(Campaign.objects.count(), 0)

    @override_settings(DEBUG=True)
    def test_it_loads_the_seed_campaign_and_can_run_again(self):
        call_command("load_demo", stdout=StringIO())
        out = StringIO()
        call_command("load_demo", stdout=out)
        self.assertIn("organizer / organizer", out.getvalue())
        self.assertEqual(Campaign.objects.count(), 4)
        self.assertEqual(Photo.objects.count(), 1)
        seed = Campaign.objects.get(slug="konstantin")
        self.assertEqual(seed.beneficiary_name, "Konstantin M.")
        self.assertEqual(seed.goal, Money("2500", "EUR"))
        self.assertEqual(
            [(line.label, line.target.amount) for line in seed.lines.all()],
            [
                ("Rent for the first three months", 1000),
                ("Food", 400),
                ("Clothing and household items", 300),
                ("Paying off debts", 800),
            ],
        )
        states = {c.slug: (c.published, c.state()) for c in Campaign.objects.all()}
        # donations.demo promises Alesia's goal (money still on its way).
        self.assertEqual(states["alesia-laptop"], (True, "fully_promised"))
        self.assertEqual(states["siarhei-dentist"], (True, "closed"))
        self.assertFalse(states["tatsiana-draft"][0])
        self.assertEqual(Campaign.objects.get(slug="alesia-laptop").currency, "PLN")
        for username in ("organizer", "volunteer", "admin"):
            user = authenticate(username=username, password=username)
            self.assertIsNotNone(user, username)
            self.assertTrue(user.is_staff)
        self.assertTrue(authenticate(username="admin", password="admin").is_superuser)

    @override_settings(DEBUG=True)
    def test_every_text_is_written_in_every_language(self):
        call_command("load_demo", stdout=StringIO())
        for campaign in Campaign.objects.all():
            for name in CAMPAIGN_TEXTS:
                for code in LANGUAGES:
                    with self.subTest(campaign=campaign.slug, field=f"{name}_{code}"):
                        self.assertTrue(getattr(campaign, f"{name}_{code}"))
        for line in BudgetLine.objects.select_related("campaign"):
            names = ("label", "note") if line.note_en else ("label",)
            for name in names:
                for code in LANGUAGES:
                    with self.subTest(line=line.label_en, field=f"{name}_{code}"):
                        self.assertTrue(getattr(line, f"{name}_{code}"))
        # Each language's texts are its own, not copies of the English ones.
        seed = Campaign.objects.get(slug="konstantin")
        stories = {getattr(seed, f"story_{code}") for code in LANGUAGES}
        self.assertEqual(len(stories), len(LANGUAGES))
        self.assertIn("Rzeczycy", seed.story_pl)
        self.assertIn("Рэчыцы", seed.story_be)
        self.assertIn("Речице", seed.story_ru)
        self.assertIn("Річиці", seed.story_uk)
        for campaign in Campaign.objects.exclude(payment_other_en=""):
            for code in LANGUAGES:
                self.assertTrue(getattr(campaign, f"payment_other_{code}"), code)
        for campaign in Campaign.objects.exclude(over_goal_rule_en=""):
            for code in LANGUAGES:
                self.assertTrue(getattr(campaign, f"over_goal_rule_{code}"), code)

    @override_settings(DEBUG=True)
    def test_each_language_shows_a_whole_page_with_no_english_campaign_text(self):
        compile_catalogues()
        call_command("load_demo", stdout=StringIO())
        for campaign in Campaign.objects.filter(published=True).prefetch_related(
            "lines"
        ):
            english = [campaign.title_en, campaign.summary_en, campaign.country]
            english += [line.label_en for line in campaign.lines.all()]
            english += [line.note_en for line in campaign.lines.all() if line.note_en]
            for code in LANGUAGES:
                if code == settings.LANGUAGE_CODE:
                    continue
                with self.subTest(campaign=campaign.slug, language=code):
                    page = html.unescape(
                        self.client.get(f"/{code}/c/{campaign.slug}/").content.decode()
                    )
                    texts = [getattr(campaign, f"title_{code}")]
                    texts += [
                        getattr(line, f"label_{code}") for line in campaign.lines.all()
                    ]
                    texts += [
                        getattr(line, f"note_{code}")
                        for line in campaign.lines.all()
                        if line.note_en
                    ]
                    for text in texts:
                        self.assertIn(text, page)
                    # The story's first words, past any Markdown.
                    first = getattr(campaign, f"story_{code}").split()[:4]
                    self.assertIn(" ".join(first).lstrip("*"), page)
                    for text in english:
                        self.assertNotIn(text, page)

    @override_settings(DEBUG=True)
    def test_the_pln_campaign_shows_12_days_left(self):
        call_command("load_demo", stdout=StringIO())
        response = self.client.get("/c/alesia-laptop/")
        self.assertContains(response, "12 days left")
