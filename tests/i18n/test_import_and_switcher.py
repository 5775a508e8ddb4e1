"""import_campaign with translations; the language switcher, hreflang and lang."""

from __future__ import annotations

import json
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import translation

from campaigns.models import Campaign
from tests.base import ZborTestCase

FILE = {
    "title": {"en": "Winter coats for Ales B.", "be": "Зімовыя паліто для Алеся Б."},
    "title_pl": "Zimowe płaszcze dla Alesia B.",
    "slug": "ales",
    "beneficiary": "Ales B.",
    "summary": "Two coats and boots before the frost.",
    "summary_be": "Два паліто і боты да маразоў.",
    "story": {"en": "It is cold.", "ru": "Холодно."},
    "fallback_languages": "be,ru",
    "payment_other": {
        "en": "Cash at the Sunday meeting.",
        "pl": "Gotówka w niedzielę.",
    },
    "over_goal_rule": {
        "en": "Anything over the goal buys gloves.",
        "ru": "Всё сверх цели пойдёт на перчатки.",
    },
    "published": True,
    "lines": [
        {
            "label": {"en": "Coats", "be": "Паліто"},
            "target": "180",
            "note_pl": "dwa",
        },
        {"label": "Boots", "label_uk": "Чоботи", "target": "95.50"},
    ],
}


class ImportTranslationsTests(TestCase):
    def run_import(self, data: dict) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump(data, file)
        self.addCleanup(Path(file.name).unlink)
        call_command("import_campaign", file.name, stdout=StringIO())

    def test_texts_come_in_either_form_and_land_in_their_language(self):
        self.run_import(FILE)
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(campaign.title_en, "Winter coats for Ales B.")
        self.assertEqual(campaign.title_be, "Зімовыя паліто для Алеся Б.")
        self.assertEqual(campaign.title_pl, "Zimowe płaszcze dla Alesia B.")
        self.assertEqual(campaign.summary_be, "Два паліто і боты да маразоў.")
        self.assertEqual(
            (campaign.story_en, campaign.story_ru), ("It is cold.", "Холодно.")
        )
        self.assertEqual(campaign.fallback_languages, "be,ru")
        self.assertEqual(campaign.payment_other_pl, "Gotówka w niedzielę.")
        self.assertEqual(
            campaign.over_goal_rule_ru, "Всё сверх цели пойдёт на перчатки."
        )
        coats, boots = campaign.lines.all()
        self.assertEqual(
            (coats.label_en, coats.label_be, coats.note_pl), ("Coats", "Паліто", "dwa")
        )
        self.assertEqual((boots.label_en, boots.label_uk), ("Boots", "Чоботи"))
        with translation.override("uk"):
            self.assertEqual(campaign.title, "Зімовыя паліто для Алеся Б.")

    def test_an_update_matches_lines_by_their_english_label(self):
        self.run_import(FILE)
        coats = Campaign.objects.get(slug="ales").lines.get(label_en="Coats")
        changed = json.loads(json.dumps(FILE))
        changed["lines"][0]["label"] = {"en": "Coats", "be": "Цёплыя паліто"}
        changed["lines"][0]["target"] = "200"
        del changed["lines"][0]["note_pl"]
        self.run_import(changed)
        line = Campaign.objects.get(slug="ales").lines.get(label_en="Coats")
        self.assertEqual(line.pk, coats.pk)
        self.assertEqual((line.label_be, line.target.amount), ("Цёплыя паліто", 200))
        self.assertIsNone(line.note_pl)  # left out of the file: cleared

    def test_bad_translations_are_refused_naming_the_field(self):
        cases = [
            ({"title": {"en": "x", "de": "y"}}, "title.de: unknown language"),
            (
                {"title": {"be": "Толькі па-беларуску"}},
                'title: give the English text, "en"',
            ),
            ({"summary_ru": 5}, "summary.ru: must be a string"),
            ({"fallback_languages": "be,xx"}, "fallback_languages: Unknown language"),
            ({"title_de": "x"}, "title_de: unknown field"),
        ]
        for change, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(CommandError) as caught:
                    self.run_import({**FILE, **change})
                self.assertIn(message, str(caught.exception))
                self.assertFalse(Campaign.objects.filter(slug="ales").exists())


class SwitcherTests(ZborTestCase):
    def test_every_language_links_to_the_same_page(self):
        html = self.client.get("/ru/c/konstantin/give/").content.decode()
        self.assertIn('<html lang="ru"', html)
        for code, href in (
            ("en", "/c/konstantin/give/"),
            ("pl", "/pl/c/konstantin/give/"),
            ("be", "/be/c/konstantin/give/"),
            ("uk", "/uk/c/konstantin/give/"),
        ):
            self.assertIn(f'<a href="{href}" hreflang="{code}" lang="{code}">', html)
        self.assertIn('<span aria-current="page" lang="ru">Русский</span>', html)

    def test_hreflang_names_every_language_and_the_default(self):
        html = self.client.get("/").content.decode()
        for code, path in (("en", "/"), ("x-default", "/"), ("uk", "/uk/")):
            self.assertIn(
                f'<link rel="alternate" hreflang="{code}" '
                f'href="http://127.0.0.1:8000{path}">',
                html,
            )

    def test_the_links_work_without_javascript(self):
        for path in ("/", "/pl/", "/be/c/konstantin/", "/uk/c/konstantin/give/"):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 200)

    def test_the_admin_has_no_switcher(self):
        self.client.force_login(self.superuser)
        html = self.client.get("/admin/").content.decode()
        self.assertNotIn("language-switcher", html)
