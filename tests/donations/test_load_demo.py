from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from djmoney.money import Money

from campaigns.models import Campaign, Photo
from tests.campaigns.helpers import TemporaryMediaMixin


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
    def test_the_pln_campaign_shows_12_days_left(self):
        call_command("load_demo", stdout=StringIO())
        response = self.client.get("/c/alesia-laptop/")
        self.assertContains(response, "12 days left")
