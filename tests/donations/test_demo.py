from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from campaigns.models import Campaign
from donations.models import Pledge
from tests.donations.base import DonationsTestCase, fresh
from tests.i18n.base import compile_catalogues

NBSP = "\u00a0"


@override_settings(DEBUG=True)
class DemoPledgesTests(DonationsTestCase):
    def test_the_demo_shows_progress_a_promised_goal_and_a_closed_collection(self):
        call_command("load_demo", stdout=StringIO())
        call_command("load_demo", stdout=StringIO())  # a rerun adds nothing
        self.assertEqual(Pledge.objects.filter(campaign__slug="konstantin").count(), 6)

        konstantin = Campaign.objects.get(slug="konstantin")
        self.assertTrue(self.assertTotalsExact(konstantin).is_accepting_pledges())
        alesia = self.assertTotalsExact(Campaign.objects.get(slug="alesia-laptop"))
        self.assertEqual(alesia.state(), Campaign.State.FULLY_PROMISED)
        siarhei = self.assertTotalsExact(Campaign.objects.get(slug="siarhei-dentist"))
        self.assertEqual(fresh(siarhei).state(), Campaign.State.CLOSED)

        response = self.client.get("/c/siarhei-dentist/")
        self.assertContains(response, "The collection is over. Collected: €2,665")
        response = self.client.get("/c/alesia-laptop/")
        self.assertContains(response, "Fully promised: ")
        self.assertContains(response, "pays for Alesia&#x27;s exam fee")
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "Stay strong, Konstantin.")
        self.assertContains(response, "/c/konstantin/give/")

    def test_each_language_has_the_demo_in_its_own_words_and_amounts(self):
        compile_catalogues()
        call_command("load_demo", stdout=StringIO())
        expected = {
            "pl": ("Laptop i kurs dla Alesi K.", "opłatę za egzamin Alesi", "zł"),
            "be": ("Ноўтбук і курсы для Алесі К.", "аплату экзамену Алесі", "zł"),
            "ru": ("Ноутбук и курсы для Алеси К.", "оплату экзамена Алеси", "zł"),
            "uk": ("Ноутбук і курси для Алесі К.", "оплату іспиту Алесі", "zł"),
        }
        for code, (title, rule, sign) in expected.items():
            with self.subTest(language=code):
                page = self.client.get(f"/{code}/c/alesia-laptop/")
                self.assertContains(page, title)
                self.assertContains(page, rule)
                self.assertContains(page, f"2{NBSP}400{NBSP}{sign}")
                self.assertNotContains(page, "PLN")
                closed = self.client.get(f"/{code}/c/siarhei-dentist/")
                self.assertContains(closed, f"2{NBSP}665{NBSP}€")
                self.assertNotContains(closed, "EUR")
                self.assertNotContains(closed, "Cash to the Vilnius volunteers")
