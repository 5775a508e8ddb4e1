"""Plural forms, money and amounts typed by donors, in the reader's locale."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from campaigns.models import Campaign
from campaigns.money import CURRENCY_CHOICES
from campaigns.templatetags.money import format_money, format_percent
from campaigns.views import describe_deadline
from donations.models import Pledge
from tests.donations.base import DonationsTestCase, pledge, receive
from tests.i18n.base import OTHER_LANGUAGES, catalogue, compile_catalogues

NBSP = "\u00a0"


class PluralTests(DonationsTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def days_left(self, language: str, days: int) -> str:
        now = timezone.now()
        self.campaign.deadline = now + timedelta(days=days)
        with translation.override(language):
            return describe_deadline(self.campaign, now)["left"]

    def test_days_left_in_each_language(self):
        expected = {
            "en": {1: "1 day left", 2: "2 days left", 5: "5 days left"},
            "uk": {
                1: "Залишився 1 день",
                2: "Залишилося 2 дні",
                5: "Залишилося 5 днів",
                12: "Залишилося 12 днів",
                21: "Залишився 21 день",
                22: "Залишилося 22 дні",
            },
            "ru": {
                1: "Остался 1 день",
                2: "Осталось 2 дня",
                5: "Осталось 5 дней",
                12: "Осталось 12 дней",
                21: "Остался 21 день",
                24: "Осталось 24 дня",
            },
            "be": {
                1: "Застаўся 1 дзень",
                2: "Засталося 2 дні",
                5: "Засталося 5 дзён",
                11: "Засталося 11 дзён",
                21: "Застаўся 21 дзень",
            },
            "pl": {
                1: "Został 1 dzień",
                2: "Zostały 2 dni",
                5: "Zostało 5 dni",
                12: "Zostało 12 dni",
                21: "Zostało 21 dni",
                22: "Zostały 22 dni",
            },
        }
        for language, cases in expected.items():
            for days, text in cases.items():
                with self.subTest(language=language, days=days):
                    self.assertEqual(self.days_left(language, days), text)

    def test_day_counts_on_their_own(self):
        singular, plural = "%(days)s day", "%(days)s days"
        expected = {
            "uk": ["1 день", "2 дні", "5 днів"],
            "ru": ["1 день", "2 дня", "5 дней"],
            "be": ["1 дзень", "2 дні", "5 дзён"],
            "pl": ["1 dzień", "2 dni", "5 dni"],
        }
        for language, texts in expected.items():
            with translation.override(language):
                got = [ngettext(singular, plural, n) % {"days": n} for n in (1, 2, 5)]
            self.assertEqual(got, texts, language)

    def test_the_campaign_page_says_the_days_left(self):
        self.campaign.deadline = timezone.now() + timedelta(days=12, hours=1)
        self.campaign.save()
        response = self.client.get("/uk/c/konstantin/")
        self.assertContains(response, "Залишилося 13 днів")


class CatalogueTests(SimpleTestCase):
    def test_every_message_is_translated_with_three_plural_forms(self):
        for language in OTHER_LANGUAGES:
            with self.subTest(language=language):
                messages = [m for m in catalogue(language) if m.id]
                self.assertGreater(len(messages), 300)
                self.assertEqual(
                    [m.id for m in messages if "fuzzy" in m.flags], [], "fuzzy"
                )
                for message in messages:
                    strings = (
                        [message.string]
                        if isinstance(message.string, str)
                        else list(message.string)
                    )
                    if not isinstance(message.string, str):
                        self.assertEqual(len(strings), 3, message.id)
                    self.assertTrue(all(strings), f"untranslated: {message.id!r}")


class MoneyFormatTests(SimpleTestCase):
    """One rule per language and currency (campaigns/templatetags/money.py):
    CLDR's, but "zł" for the złoty wherever Zbor's readers live in Poland, the
    signs in Ukrainian, and a space between a code and the digits in English."""

    # language: {currency: (a whole amount, an amount with cents)}
    EXPECTED = {
        "en": {
            "EUR": ("€2,665", "€12.50"),
            "PLN": (f"PLN{NBSP}4,500", f"PLN{NBSP}12.50"),
            "USD": ("$2,665", "$12.50"),
        },
        "pl": {
            "EUR": (f"2{NBSP}665{NBSP}€", f"12,50{NBSP}€"),
            "PLN": (f"4{NBSP}500{NBSP}zł", f"12,50{NBSP}zł"),
            "USD": (f"2{NBSP}665{NBSP}USD", f"12,50{NBSP}USD"),
        },
        "be": {
            "EUR": (f"2{NBSP}665{NBSP}€", f"12,50{NBSP}€"),
            "PLN": (f"4{NBSP}500{NBSP}zł", f"12,50{NBSP}zł"),
            "USD": (f"2{NBSP}665{NBSP}$", f"12,50{NBSP}$"),
        },
        "ru": {
            "EUR": (f"2{NBSP}665{NBSP}€", f"12,50{NBSP}€"),
            "PLN": (f"4{NBSP}500{NBSP}zł", f"12,50{NBSP}zł"),
            "USD": (f"2{NBSP}665{NBSP}$", f"12,50{NBSP}$"),
        },
        "uk": {
            "EUR": (f"2{NBSP}665{NBSP}€", f"12,50{NBSP}€"),
            "PLN": (f"4{NBSP}500{NBSP}zł", f"12,50{NBSP}zł"),
            "USD": (f"2{NBSP}665{NBSP}$", f"12,50{NBSP}$"),
        },
    }
    WHOLE = {"EUR": "2665", "PLN": "4500", "USD": "2665"}

    def test_each_language_and_currency_has_its_rule(self):
        for language, currencies in self.EXPECTED.items():
            for currency, (whole, cents) in currencies.items():
                with self.subTest(language=language, currency=currency):
                    with translation.override(language):
                        amount = Decimal(self.WHOLE[currency])
                        self.assertEqual(format_money(amount, currency), whole)
                        self.assertEqual(format_money(Decimal("12.5"), currency), cents)
                    self.assertEqual(
                        format_money(Decimal("12.5"), currency, language), cents
                    )

    def test_the_table_covers_every_language_and_currency(self):
        self.assertEqual(
            set(self.EXPECTED), {code for code, _name in settings.LANGUAGES}
        )
        for currencies in self.EXPECTED.values():
            self.assertEqual(set(currencies), {code for code, _ in CURRENCY_CHOICES})

    def test_percentages_as_each_language_writes_them(self):
        # CLDR: Polish and Ukrainian write the sign close up, Belarusian and
        # Russian after a (non-breaking) space.
        expected = {
            "en": "37%",
            "pl": "37%",
            "uk": "37%",
            "be": f"37{NBSP}%",
            "ru": f"37{NBSP}%",
        }
        for language, text in expected.items():
            with self.subTest(language=language), translation.override(language):
                self.assertEqual(format_percent(37), text)
                self.assertEqual(
                    format_percent(100, language), text.replace("37", "100")
                )


class PercentOnPagesTests(DonationsTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def test_the_campaign_page_and_badge_write_the_percentage_per_language(self):
        receive(pledge(self.campaign, "925"))  # 37 % of €2,500
        expected = {"": "37%", "/pl": "37%", "/uk": "37%", "/ru": f"37{NBSP}%"}
        for prefix, text in expected.items():
            with self.subTest(prefix=prefix):
                page = self.client.get(f"{prefix}/c/konstantin/")
                self.assertContains(page, f"({text})")
                self.assertNotContains(page, f"{text}%")
                badge = self.client.get(f"{prefix}/c/konstantin/badge.svg")
                self.assertContains(badge, f"· {text}")


class AmountInputTests(DonationsTestCase):
    def setUp(self):
        # Room for every pledge below, whatever their sum.
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)

    def give(self, language: str, typed: str):
        with translation.override(language):
            url = reverse("donations:pledge", args=[self.campaign.slug])
            return self.client.post(
                url,
                {
                    "amount": "other",
                    "other_amount": typed,
                    "line": "",
                    "token": secrets.token_urlsafe(24),
                },
            )

    def assertPledged(self, response, amount: str):
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.latest("pk").amount.amount, Decimal(amount))

    def assertRefused(self, response, message: str):
        before = Pledge.objects.count()
        self.assertContains(response, message, status_code=400)
        self.assertEqual(Pledge.objects.count(), before)

    def test_a_comma_marks_the_cents_in_polish_belarusian_russian_ukrainian(self):
        for language in OTHER_LANGUAGES:
            with self.subTest(language=language):
                self.assertPledged(self.give(language, "12,50"), "12.50")
                # A point cannot group thousands there: it is the cents too.
                self.assertPledged(self.give(language, "7.5"), "7.50")

    def test_spaces_group_thousands(self):
        self.assertPledged(self.give("pl", f"1{NBSP}250"), "1250")
        self.assertPledged(self.give("pl", "1 250,50"), "1250.50")
        self.assertPledged(self.give("en", "1 250"), "1250")

    def test_on_an_english_page_a_comma_could_mean_two_amounts_and_is_refused(self):
        for typed in ("12,50", "1,250"):
            with self.subTest(typed=typed):
                self.assertRefused(
                    self.give("en", typed), "could mean two different amounts"
                )
        self.assertPledged(self.give("en", "12.50"), "12.50")

    def test_a_point_before_three_digits_is_refused_where_the_comma_marks_cents(self):
        self.assertRefused(self.give("pl", "1.250"), "może oznaczać dwie różne kwoty")
        self.assertRefused(self.give("uk", "1.250"), "може означати дві різні суми")

    def test_other_malformed_amounts_are_refused_in_the_readers_language(self):
        self.assertRefused(self.give("ru", "12 50"), "Введите сумму числом")
        self.assertRefused(self.give("ru", "12,555"), "Не больше двух знаков")
