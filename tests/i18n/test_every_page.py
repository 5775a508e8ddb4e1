"""Every public page, in every language, without an interface string left in
English (checked against the catalogue: tests/i18n/base.py)."""

from __future__ import annotations

from django.core import mail
from django.utils import translation

from donations.outbox import send_due
from donations.pledging import Donor
from tests.donations.base import pledge
from tests.i18n.base import OTHER_LANGUAGES, PublicPagesTestCase, untranslated


class EveryPageInEveryLanguageTests(PublicPagesTestCase):
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
            "Недостающая сумма уже в пути: ожидается 140\u00a0€; когда поступят "
            "все переводы, цель будет достигнута.",
        )
        self.assertContains(pages["fully promised"], "ru over_goal_rule ✓")
        self.assertContains(pages["pledge form, fully promised"], "ru over_goal_rule ✓")
        self.assertContains(pages["open"], "Осталось 12 дней")
        self.assertContains(
            pages["open"], "Собрано 50\u00a0€ из 2\u00a0500\u00a0€ (2\u00a0%)"
        )
        self.assertContains(pages["open"], "Ожидается 400\u00a0€ (переводы ещё в пути)")

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
        self.assertIn(f"Ваш внесок {made.reference}: як оплатити", message.subject)
        self.assertIn("Дякуємо, що підтримуєте збір «uk title ✓».", message.body)
        self.assertIn("/uk/thanks/", message.body)
