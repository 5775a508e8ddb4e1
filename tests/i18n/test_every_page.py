"""Every public page, in every language, without an interface string left in
English (checked against the catalogue: tests/i18n/base.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.utils import timezone, translation

from campaigns.models import Campaign
from donations.outbox import send_due
from donations.pledging import Donor, campaign_close, pledge_cancel, pledge_receive
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge
from tests.i18n.base import (
    OTHER_LANGUAGES,
    compile_catalogues,
    translate_campaign,
    untranslated,
)

PAYMENT = {
    "account_holder": "Zbor Demo",
    "iban": "PL61109010140000071219812874",
    "bic": "WBKPPLPP",
    "bank_name": "Santander",
}


class EveryPageInEveryLanguageTests(DonationsTestCase):
    """The seed campaign open (12 days left, money collected and on its way,
    supporters), one fully promised (with a rule for money over the goal), one
    closed over its goal; the pledge form (empty, with errors, fully promised,
    refused), the thank-you pages, the posters, the badges and the 404."""

    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        cls.open = cls.campaign
        Campaign.objects.filter(pk=cls.open.pk).update(
            deadline=now + timedelta(days=12), **PAYMENT
        )
        cls.open.refresh_from_db()
        cls.pending = pledge(cls.open, "400", cls.food, donor=Donor(name="Ala"))
        cls.received = pledge(cls.open, "50", donor=Donor(name="Olek"))
        pledge_receive(pledge=cls.received, amount=Decimal("50"), by=cls.volunteer)
        cls.cancelled = pledge(cls.open, "20", donor=Donor(is_anonymous=True))
        pledge_cancel(pledge=cls.cancelled, reason="never paid", by=cls.volunteer)
        translate_campaign(cls.open)

        cls.promised = make_campaign(
            slug="promised",
            lines=[("Rent", "100"), ("Food", "50")],
            over_goal_rule="Money over the goal pays next month's rent.",
        )
        paid = pledge(cls.promised, "30", donor=Donor(name="Ola"))
        pledge_receive(pledge=paid, amount=Decimal("30"), by=cls.volunteer)
        pledge(cls.promised, "100", cls.promised.lines.first(), donor=Donor())
        pledge(cls.promised, "40", donor=Donor(name="Ala"))
        translate_campaign(cls.promised)

        cls.ended = make_campaign(
            slug="ended", lines=[("Rent", "100")], stop_at_goal=False, **PAYMENT
        )
        done = pledge(cls.ended, "150", donor=Donor(name="Ala"))
        pledge_receive(pledge=done, amount=Decimal("150"), by=cls.volunteer)
        campaign_close(campaign=cls.ended, reason="manual", by=cls.organizer)
        translate_campaign(cls.ended)

    def pages(self, language: str) -> dict[str, object]:
        """Every public page, rendered in `language`: name -> response."""
        with translation.override(language):
            pages = {
                "list": self.client.get(self.url("campaigns:list")),
                "open": self.client.get(self.open.get_absolute_url()),
                "fully promised": self.client.get(self.promised.get_absolute_url()),
                "closed": self.client.get(self.ended.get_absolute_url()),
                "pledge form": self.client.get(self.give_url(self.open)),
                "pledge form with errors": self.client.post(
                    self.give_url(self.open),
                    {
                        "amount": "other",
                        "other_amount": "1.250",
                        "email": "not an address",
                        "line": "",
                        "token": "t" * 32,
                    },
                ),
                "pledge form, fully promised": self.client.get(
                    self.give_url(self.promised)
                ),
                "pledge form, closed": self.client.get(self.give_url(self.ended)),
                "thanks, pending": self.client.get(self.pending.thanks_path()),
                "thanks, received": self.client.get(self.received.thanks_path()),
                "thanks, cancelled": self.client.get(self.cancelled.thanks_path()),
                "poster": self.client.get(self.share_url("poster", self.open)),
                "poster, fully promised": self.client.get(
                    self.share_url("poster", self.promised)
                ),
                "poster, closed": self.client.get(self.share_url("poster", self.ended)),
                "badge": self.client.get(self.share_url("badge", self.open)),
                "badge, fully promised": self.client.get(
                    self.share_url("badge", self.promised)
                ),
                "badge, closed": self.client.get(self.share_url("badge", self.ended)),
                "404": self.client.get(f"/{language}/c/nobody/"),
            }
        return pages

    def url(self, name: str) -> str:
        from django.urls import reverse

        return reverse(name)

    def share_url(self, name: str, campaign: Campaign) -> str:
        from django.urls import reverse

        return reverse(f"campaigns:{name}", args=[campaign.slug])

    def give_url(self, campaign: Campaign) -> str:
        from django.urls import reverse

        return reverse("donations:pledge", args=[campaign.slug])

    def test_no_interface_string_is_left_in_english(self):
        for language in OTHER_LANGUAGES:
            for name, response in self.pages(language).items():
                with self.subTest(language=language, page=name):
                    html = response.content.decode()
                    if not name.startswith("badge"):
                        self.assertIn(f'<html lang="{language}"', html)
                    self.assertEqual(untranslated(html, language), [])

    def test_the_check_finds_english_strings_on_the_english_pages(self):
        # The same pages in English are full of the catalogue's messages: the
        # check above can fail.
        pages = self.pages("en")
        for name in ("open", "pledge form with errors", "thanks, pending"):
            with self.subTest(page=name):
                html = pages[name].content.decode()
                self.assertGreater(len(untranslated(html, "pl")), 5)

    def test_the_pages_answer_as_expected(self):
        statuses = {name: r.status_code for name, r in self.pages("uk").items()}
        self.assertEqual(statuses.pop("pledge form with errors"), 400)
        self.assertEqual(statuses.pop("404"), 404)
        self.assertEqual(set(statuses.values()), {200})

    def test_the_form_errors_and_states_are_in_the_language(self):
        pages = self.pages("ru")
        self.assertContains(
            pages["pledge form with errors"],
            "может означать две разные суммы",
            status_code=400,
        )
        self.assertContains(pages["closed"], "Сбор завершён. Собрано: 150\u00a0€")
        self.assertContains(
            pages["fully promised"],
            "Вся сумма обещана: ожидается 140\u00a0€; если все обещанные взносы "
            "поступят, цель будет достигнута.",
        )
        self.assertContains(pages["fully promised"], "ru over_goal_rule ✓")
        self.assertContains(pages["pledge form, fully promised"], "ru over_goal_rule ✓")
        self.assertContains(pages["open"], "Осталось 12 дней")
        self.assertContains(
            pages["open"], "Собрано 50\u00a0€ из 2\u00a0500\u00a0€ (2\u00a0%)"
        )
        self.assertContains(
            pages["open"], "Ожидается 400\u00a0€ (обещано, ещё не поступило)"
        )

    def test_the_email_is_in_the_donors_language(self):
        with translation.override("uk"), self.captureOnCommitCallbacks(execute=True):
            made = pledge(
                self.open,
                "25",
                donor=Donor(email="a@example.org", language="uk"),
            )
        send_due()  # the outbox worker
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertIn(f"Ваша обіцянка {made.reference}: як оплатити", message.subject)
        self.assertIn("Дякуємо за обіцянку допомогти збору «uk title ✓».", message.body)
        self.assertIn("/uk/thanks/", message.body)
