"""The admin and the desk in the staff member's language (config.i18n.
StaffLanguageMiddleware): their choice in the switcher, else their browser's;
dates, times and amounts in that language; and the admin's plain text fields
still the English ones (campaigns.forms.EnglishTextsMixin)."""

from __future__ import annotations

import re
from datetime import datetime

from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.forms import BudgetLineForm, CampaignForm
from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge
from tests.donations.base import pledge
from tests.i18n.base import compile_catalogues
from tests.teams.base import TeamTestCase

NBSP = "\u00a0"
SETLANG = "/i18n/setlang/"


class StaffLanguageTestCase(TeamTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def assertInLanguage(self, response, language: str) -> None:
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f'<html lang="{language}"')
        self.assertEqual(response["Content-Language"], language)


class AdminLanguageTests(StaffLanguageTestCase):
    def setUp(self):
        self.client.force_login(self.organizer)

    def test_the_admin_speaks_the_browsers_language(self):
        # Django's own admin strings, so the test does not hang on our wording.
        log_out = {"ru": "Выйти", "pl": "Wyloguj się", "uk": "Вийти", "en": "Log out"}
        for language, text in log_out.items():
            with self.subTest(language=language):
                response = self.client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)
                self.assertInLanguage(response, language)
                self.assertContains(response, text)
                self.assertIn("Accept-Language", response["Vary"])

    def test_the_login_page_too(self):
        self.client.logout()
        response = self.client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "pl")

    def test_an_unknown_browser_language_gets_english(self):
        response = self.client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
        self.assertInLanguage(response, "en")

    def test_the_switcher_is_on_every_staff_page_and_names_each_language_in_itself(
        self,
    ):
        response = self.client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru")
        self.assertContains(response, f'action="{SETLANG}"')
        self.assertContains(
            response, '<input type="hidden" name="next" value="/admin/">'
        )
        for code, name in (("pl", "Polski"), ("be", "Беларуская"), ("en", "English")):
            self.assertContains(response, f'value="{code}" lang="{code}"')
            self.assertContains(response, f">{name}</button>")
        self.assertContains(
            response, 'value="ru" lang="ru" aria-pressed="true">Русский</button>'
        )

    def test_the_switchers_choice_wins_over_the_browser_and_stays(self):
        response = self.client.post(
            SETLANG, {"language": "ru", "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="pl"
        )
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        cookie = response.cookies["django_language"]
        self.assertEqual(cookie.value, "ru")
        self.assertGreaterEqual(int(cookie["max-age"]), 365 * 24 * 60 * 60)
        response = self.client.get("/admin/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "ru")
        self.client.post(SETLANG, {"language": "en", "next": "/admin/"})
        response = self.client.get("/admin/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "en")

    def test_the_campaign_form_shows_the_english_texts_under_their_plain_names(self):
        self.campaign.title_pl = "Pomoc dla Konstantina"
        self.campaign.save()
        url = reverse("admin:campaigns_campaign_change", args=[self.campaign.pk])
        response = self.client.get(url, HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "pl")
        html = response.content.decode()
        self.assertRegex(
            html, rf'name="title"[^>]*value="{re.escape(self.campaign.title_en)}"'
        )
        self.assertRegex(html, r'name="title_pl"[^>]*value="Pomoc dla Konstantina"')

    def test_the_campaign_search_finds_a_title_in_any_language(self):
        self.campaign.title_pl = "Pomoc dla Konstantina"
        self.campaign.save()
        url = reverse("admin:campaigns_campaign_changelist")
        for query in ("Helping", "Pomoc"):
            with self.subTest(query=query):
                response = self.client.get(url, {"q": query}, HTTP_ACCEPT_LANGUAGE="pl")
                self.assertEqual(
                    list(response.context["cl"].result_list), [self.campaign]
                )


class EnglishTextsTests(StaffLanguageTestCase):
    """Saving an admin form while the admin speaks Polish."""

    def line_form(self, line: BudgetLine, **data):
        Form = modelform_factory(
            BudgetLine,
            form=BudgetLineForm,
            fields=("position", "label", "target", "note", "label_pl", "note_pl"),
        )
        values = {
            "position": "0",
            "label": line.label_en,
            "target": "1000",
            "note": "",
            "label_pl": line.label_pl or "",
            "note_pl": "",
            **data,
        }
        return Form(values, instance=line, campaign=self.campaign)

    def test_the_plain_field_starts_with_the_english_text(self):
        self.rent.label_pl = "Czynsz"
        self.rent.save()
        with translation.override("pl"):
            form = self.line_form(self.rent)
            unbound = type(form)(instance=self.rent, campaign=self.campaign)
        self.assertEqual(unbound.initial["label"], "Rent for the first three months")
        self.assertEqual(unbound.initial["label_pl"], "Czynsz")

    def test_english_and_polish_each_land_in_their_own_column(self):
        with translation.override("pl"):
            form = self.line_form(self.rent, label="Rent", label_pl="Czynsz")
            self.assertTrue(form.is_valid(), form.errors)
            form.save()
        line = BudgetLine.objects.get(pk=self.rent.pk)
        self.assertEqual((line.label_en, line.label_pl), ("Rent", "Czynsz"))

    def test_clearing_the_polish_text_in_the_polish_admin_clears_it(self):
        self.rent.label_pl = "Czynsz"
        self.rent.save()
        with translation.override("pl"):
            form = self.line_form(self.rent, label_pl="")
            self.assertTrue(form.is_valid(), form.errors)
            form.save()
        line = BudgetLine.objects.get(pk=self.rent.pk)
        self.assertEqual(line.label_en, "Rent for the first three months")
        self.assertFalse(line.label_pl)

    def test_the_campaign_form_keeps_english_in_english_under_a_russian_admin(self):
        Form = modelform_factory(
            Campaign, form=CampaignForm, fields=("title", "summary", "title_ru")
        )
        with translation.override("ru"):
            form = Form(
                {
                    "title": "New English title",
                    "summary": self.campaign.summary_en,
                    "title_ru": "Новое название",
                    "max_pledge": "10000",
                },
                instance=self.campaign,
            )
            self.assertTrue(form.is_valid(), form.errors)
            form.save()
        saved = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual(saved.title_en, "New English title")
        self.assertEqual(saved.title_ru, "Новое название")


class DeskLanguageTests(StaffLanguageTestCase):
    def setUp(self):
        self.client.force_login(self.volunteer)
        self.made = pledge(self.campaign, "1250")
        # 1 December 2026, 20:35 in Warsaw: the "12/01/2026 8:35 p.m."
        at = timezone.make_aware(datetime(2026, 12, 1, 20, 35))
        Pledge.objects.filter(pk=self.made.pk).update(created_at=at)

    def card(self, prefix: str = "", **headers):
        return self.client.get(f"{prefix}/desk/p/{self.made.reference}/", **headers)

    def test_the_unprefixed_desk_speaks_the_browsers_language_without_a_redirect(self):
        response = self.client.get("/desk/", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "pl")
        # Its links carry the prefix, which decides from there on.
        self.assertContains(response, 'action="/pl/desk/"')

    def test_dates_times_and_amounts_on_the_pledge_card_follow_the_language(self):
        expected = {
            "en": ("12/01/2026 8:35 p.m.", "€1,250"),
            "pl": ("01.12.2026, 20:35", f"1{NBSP}250{NBSP}€"),
            "ru": ("01.12.2026 20:35", f"1{NBSP}250{NBSP}€"),
            "uk": ("01.12.2026 20:35", f"1{NBSP}250{NBSP}€"),
            "be": ("01.12.2026 20:35", f"1{NBSP}250{NBSP}€"),
        }
        for language, (when, amount) in expected.items():
            with self.subTest(language=language):
                response = self.card(HTTP_ACCEPT_LANGUAGE=language)
                self.assertInLanguage(response, language)
                self.assertContains(response, when)
                self.assertContains(response, amount)
                prefixed = self.card("" if language == "en" else f"/{language}")
                self.assertInLanguage(prefixed, language)
                self.assertContains(prefixed, when)

    def test_the_prefix_wins_over_the_browser_and_the_cookie(self):
        self.client.post(SETLANG, {"language": "uk", "next": "/admin/"})
        response = self.card("/ru", HTTP_ACCEPT_LANGUAGE="pl")
        self.assertInLanguage(response, "ru")

    def test_the_switcher_on_a_prefixed_desk_page_leads_to_each_language(self):
        path = f"/desk/p/{self.made.reference}/"
        response = self.card("/pl")
        # set_language can only translate the unprefixed address.
        self.assertContains(
            response, f'<input type="hidden" name="next" value="{path}">'
        )
        response = self.client.post(SETLANG, {"language": "ru", "next": path})
        self.assertRedirects(response, f"/ru{path}", fetch_redirect_response=False)
        response = self.client.post(SETLANG, {"language": "en", "next": path})
        self.assertRedirects(response, path, fetch_redirect_response=False)
        # English chosen: the unprefixed desk stays English for a Polish browser.
        self.assertInLanguage(self.card(HTTP_ACCEPT_LANGUAGE="pl"), "en")


class DeadlineFormatTests(StaffLanguageTestCase):
    def test_the_campaign_page_writes_the_deadline_as_each_language_does(self):
        self.campaign.deadline = timezone.make_aware(datetime(2027, 11, 28, 20, 0))
        self.campaign.save()
        expected = {
            "": "Nov. 28, 2027, 8 p.m.",
            "/ru": "28 ноября 2027 г. в 20:00",
            "/uk": "28 листопада 2027 р., 20:00",
            "/pl": "28 listopada 2027, 20:00",
            "/be": "28.11.2027 20:00",
        }
        for prefix, text in expected.items():
            with self.subTest(prefix=prefix):
                self.assertContains(self.client.get(f"{prefix}/c/konstantin/"), text)
