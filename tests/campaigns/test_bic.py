"""A BIC is checked by python-stdnum: its shape and that its country exists,
in the admin's campaign form and in `manage.py import_campaign` alike."""

from __future__ import annotations

import json
import tempfile
from io import StringIO
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import TestCase

from campaigns.forms import CampaignForm, clean_bic
from campaigns.models import Campaign
from tests.support import GOOD_IMPORT as GOOD

# (typed, stored)
GOOD_BICS = [
    ("BPKOPLPW", "BPKOPLPW"),
    ("WBKPPLPP", "WBKPPLPP"),
    ("bpko plpw", "BPKOPLPW"),
    ("DEUTDEFF500", "DEUTDEFF500"),
    ("", ""),
]
# (typed, why it is refused)
BAD_BICS = [
    ("ABCDXX12", "XX is no country"),
    ("BPKOPLP", "seven characters"),
    ("BPKOPLPWX", "nine characters"),
    ("1PKOPLPW", "a digit in the bank code"),
    ("BPKO PL PW XXXX", "twelve characters"),
    ("BANK", "too short"),
]


class CleanBicTests(TestCase):
    def test_real_bics_are_kept_in_their_compact_form(self):
        for typed, stored in GOOD_BICS:
            with self.subTest(typed=typed):
                self.assertEqual(clean_bic(typed), stored)

    def test_malformed_bics_and_unknown_countries_are_refused(self):
        for typed, why in BAD_BICS:
            with (
                self.subTest(why, typed=typed),
                self.assertRaises(ValidationError) as caught,
            ):
                clean_bic(typed)
            self.assertEqual(caught.exception.code, "invalid_bic")

    def test_the_campaign_form_refuses_an_unknown_country_beside_the_field(self):
        form = CampaignForm(data={"bic": "ABCDXX12"}, instance=Campaign())
        form.is_valid()
        self.assertEqual(
            [error.code for error in form.errors.as_data()["bic"]], ["invalid_bic"]
        )
        self.assertIn("ABCDXX12 is not a BIC", form.errors["bic"][0])


class ImportBicTests(TestCase):
    def run_import(self, bic: str) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump({**GOOD, "bic": bic}, file)
        self.addCleanup(Path(file.name).unlink)
        call_command("import_campaign", file.name, stdout=StringIO())

    def test_an_imported_campaign_with_an_unknown_country_is_refused(self):
        with self.assertRaises(CommandError) as caught:
            self.run_import("ABCDXX12")
        self.assertIn("bic", str(caught.exception))
        self.assertFalse(Campaign.objects.exists())

    def test_an_imported_campaign_keeps_a_real_bic(self):
        self.run_import("wbkp plpp")
        self.assertEqual(Campaign.objects.get().bic, "WBKPPLPP")
