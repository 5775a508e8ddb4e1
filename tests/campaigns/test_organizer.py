"""Who runs a collection: each contact field's check and normal form, the
attestation's rules, the admin and import_campaign, and where donors see it."""

import json
import tempfile
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase
from django.utils import timezone

from campaigns import contact
from campaigns.models import Campaign
from donations.pledging import Donor, pledge_cancel, pledge_create
from tests.base import ZborTestCase
from tests.support import GOOD_IMPORT as GOOD
from tests.support import form_data

WHO = {
    "organizer_name": "Belarusian House in Warsaw",
    "contact_email": "help@example.org",
    "contact_telegram": "@zbor_help",
    "contact_signal": "olga_k.42",
    "contact_phone": "+48 600 123 456",
    "attested_by": "Dapamoga Foundation",
    "attested_on": date(2026, 11, 20),
    "attestation_url": "https://example.org/confirmed",
}


class ContactCleaningTests(SimpleTestCase):
    def assertRefused(self, cleaner, value: str, code: str) -> None:
        with self.assertRaises(ValidationError) as caught:
            cleaner(value)
        self.assertEqual(caught.exception.code, code)

    def test_telegram_takes_a_handle_or_a_link(self):
        for typed in (
            "@zbor_help",
            "zbor_help",
            " t.me/zbor_help ",
            "https://t.me/zbor_help",
            "https://telegram.me/zbor_help/",
        ):
            with self.subTest(typed):
                self.assertEqual(contact.clean_telegram(typed), "@zbor_help")
        self.assertEqual(contact.clean_telegram(""), "")

    def test_telegram_refuses_what_is_no_username(self):
        for typed in ("@abc", "@1abcdef", "@name_", "@na me", "t.me/+48600123456"):
            with self.subTest(typed):
                self.assertRefused(contact.clean_telegram, typed, "invalid_telegram")
        self.assertRefused(contact.clean_telegram, "@" + "a" * 33, "invalid_telegram")

    def test_signal_takes_a_username_with_its_digits(self):
        self.assertEqual(contact.clean_signal("olga_k.42"), "olga_k.42")
        self.assertEqual(contact.clean_signal("@olga_k.42"), "olga_k.42")
        for typed in ("olga_k", "olga_k.4", "ol.42", "4olga.42", "+48600123456"):
            with self.subTest(typed):
                self.assertRefused(contact.clean_signal, typed, "invalid_signal")

    def test_a_phone_is_in_international_form(self):
        self.assertEqual(contact.clean_phone("+48 600 123 456"), "+48 600 123 456")
        self.assertEqual(contact.clean_phone("0048 (600) 123-456"), "+48 600 123 456")
        self.assertEqual(contact.clean_phone("+48600123456"), "+48600123456")
        self.assertEqual(contact.phone_digits("+48 600 123 456"), "+48600123456")
        for typed in ("600 123 456", "+0 600 123 456", "+48 600", "+48 600 12x 456"):
            with self.subTest(typed):
                self.assertRefused(contact.clean_phone, typed, "invalid_phone")
        self.assertRefused(contact.clean_phone, "+1" + "2" * 15, "invalid_phone")

    def test_an_attestation_link_is_https(self):
        contact.validate_https("https://example.org/confirmed")
        for url in ("http://example.org/", "javascript:alert(1)", "https://"):
            with self.subTest(url):
                self.assertRefused(contact.validate_https, url, "not_https")

    def test_an_attestation_names_who_and_when(self):
        today = date(2026, 12, 1)

        def codes(**fields):
            fields = {"by": "", "on": None, "url": "", **fields}
            found = contact.check_attestation(today=today, **fields)
            return {name: error.code for name, error in found.items()}

        self.assertEqual(codes(), {})
        self.assertEqual(codes(by="Dapamoga", on=today), {})
        self.assertEqual(codes(by="Dapamoga"), {"attested_on": "attestation_date"})
        self.assertEqual(codes(on=today), {"attested_by": "attestation_by"})
        self.assertEqual(
            codes(url="https://example.org/"),
            {"attested_on": "attestation_date", "attested_by": "attestation_by"},
        )
        self.assertEqual(
            codes(by="Dapamoga", on=today + timedelta(days=1)),
            {"attested_on": "attestation_in_future"},
        )


class CampaignFieldsTests(ZborTestCase):
    def test_the_model_keeps_only_the_normal_forms(self):
        campaign = Campaign(**{**self.model_fields(), **WHO})
        campaign.full_clean(exclude=["slug"])
        for field, typed in (
            ("contact_telegram", "zbor_help"),
            ("contact_phone", "+48-600-123-456"),
            ("contact_signal", "olga"),
            ("attestation_url", "http://example.org/"),
            ("contact_email", "not an address"),
        ):
            with self.subTest(field), self.assertRaises(ValidationError) as caught:
                setattr(campaign, field, typed)
                campaign.full_clean(exclude=["slug"])
            self.assertIn(field, caught.exception.message_dict)
            setattr(campaign, field, WHO[field])

    def test_an_attestation_in_the_future_is_refused(self):
        campaign = Campaign(
            **{
                **self.model_fields(),
                **WHO,
                "attested_on": timezone.localdate() + timedelta(days=2),
            }
        )
        with self.assertRaises(ValidationError) as caught:
            campaign.full_clean(exclude=["slug"])
        self.assertEqual(
            caught.exception.error_dict["attested_on"][0].code,
            "attestation_in_future",
        )

    def model_fields(self) -> dict:
        return {
            "title": "T",
            "beneficiary_name": "B",
            "summary": "S",
            "payment_other": "Cash",
        }

    def test_the_admin_normalises_what_the_organizer_typed(self):

        self.client.force_login(self.superuser)
        data = form_data(lines=[{"position": "0", "label": "Coats", "target": "180"}])
        data.update(
            {
                "organizer_name": "Belarusian House in Warsaw",
                "contact_telegram": "https://t.me/zbor_help",
                "contact_phone": "0048 600-123-456",
                "contact_signal": "@olga_k.42",
                "attested_by": "Dapamoga Foundation",
                "attested_on": "2026-11-20",
                "attestation_url": "https://example.org/confirmed",
            }
        )
        response = self.client.post("/admin/campaigns/campaign/add/", data)
        self.assertEqual(response.status_code, 302)
        saved = Campaign.objects.get(slug="ales")
        self.assertEqual(saved.contact_telegram, "@zbor_help")
        self.assertEqual(saved.contact_phone, "+48 600 123 456")
        self.assertEqual(saved.contact_signal, "olga_k.42")
        self.assertEqual(saved.attested_on, date(2026, 11, 20))

    def test_the_admin_refuses_a_bad_contact_beside_its_field(self):

        self.client.force_login(self.superuser)
        data = form_data(lines=[{"position": "0", "label": "Coats", "target": "180"}])
        data.update({"contact_phone": "600 123 456", "attestation_url": "http://x.org"})
        response = self.client.post("/admin/campaigns/campaign/add/", data)
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors
        self.assertEqual(errors.as_data()["contact_phone"][0].code, "invalid_phone")
        self.assertIn("attestation_url", errors)
        self.assertFalse(Campaign.objects.filter(slug="ales").exists())


class ImportTests(ZborTestCase):
    def run_import(self, data: dict) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            file.write(json.dumps(data))
        self.addCleanup(Path(file.name).unlink)
        call_command("import_campaign", file.name, stdout=StringIO())

    def test_it_imports_who_runs_it(self):
        self.run_import(
            {
                **GOOD,
                "organizer": "Belarusian House in Warsaw",
                "contact_email": "help@example.org",
                "contact_telegram": "t.me/zbor_help",
                "contact_phone": "+48 600 123 456",
                "attested_by": "Dapamoga Foundation",
                "attested_on": "2026-11-20",
                "attestation_url": "https://example.org/confirmed",
            }
        )
        saved = Campaign.objects.get(slug="ales")
        self.assertEqual(saved.organizer_name, "Belarusian House in Warsaw")
        self.assertEqual(saved.contact_telegram, "@zbor_help")
        self.assertEqual(saved.attested_on, date(2026, 11, 20))

    def test_it_refuses_a_bad_contact_or_attestation_naming_the_field(self):
        for extra, fragment in (
            ({"contact_phone": "600 123 456"}, "contact_phone:"),
            ({"contact_telegram": "@ab"}, "contact_telegram:"),
            ({"attested_on": "20.11.2026", "attested_by": "X"}, "attested_on:"),
            ({"attested_by": "Dapamoga"}, "attested_on:"),
            (
                {
                    "attested_by": "X",
                    "attested_on": "2026-11-20",
                    "attestation_url": "http://x.org/",
                },
                "attestation_url:",
            ),
            ({"contact_email": "nobody"}, "contact_email:"),
        ):
            with self.subTest(extra), self.assertRaises(CommandError) as caught:
                self.run_import({**GOOD, **extra})
            self.assertIn(fragment, str(caught.exception))
            self.assertFalse(Campaign.objects.filter(slug="ales").exists())


class WhereDonorsSeeItTests(ZborTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Campaign.objects.filter(pk=cls.campaign.pk).update(**WHO)
        cls.campaign.refresh_from_db()

    def test_the_campaign_page_says_who_runs_it_and_how_to_reach_them(self):
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "Who runs this collection")
        self.assertContains(response, "Belarusian House in Warsaw")
        self.assertContains(
            response,
            '<a href="mailto:help@example.org">help@example.org</a>',
            html=True,
        )
        self.assertContains(
            response, '<a href="https://t.me/zbor_help">@zbor_help</a>', html=True
        )
        self.assertContains(
            response, '<a href="tel:+48600123456">+48 600 123 456</a>', html=True
        )
        self.assertContains(response, "olga_k.42")
        self.assertContains(
            response, "Confirmed by Dapamoga Foundation on Nov. 20, 2026"
        )
        self.assertContains(response, 'href="https://example.org/confirmed"')

    def test_nothing_is_shown_when_nothing_is_given(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            **{name: None if name == "attested_on" else "" for name in WHO}
        )
        response = self.client.get("/c/konstantin/")
        self.assertNotContains(response, "Who runs this collection")

    def test_the_thank_you_page_puts_the_contact_beside_the_reference(self):
        made = pledge_create(
            campaign=self.campaign,
            line=None,
            amount=self.campaign.money("20").amount,
            donor=Donor(),
            submission_token=None,
        )
        response = self.client.get(made.thanks_path())
        self.assertContains(response, "help@example.org")
        pledge_cancel(pledge=made, reason="never paid", by=None)
        response = self.client.get(made.thanks_path())
        html = response.content.decode()
        tell = html.index("tell the team your reference code")
        self.assertLess(tell, html.index("help@example.org"))
        self.assertEqual(html.count("Who runs this collection"), 1)

    def test_the_poster_names_who_runs_it_with_one_contact(self):
        response = self.client.get("/c/konstantin/poster/")
        self.assertContains(
            response,
            "Run by Belarusian House in Warsaw · Contact: help@example.org · "
            "Confirmed by Dapamoga Foundation on Nov. 20, 2026",
        )
