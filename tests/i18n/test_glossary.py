"""The catalogues keep to the glossary: no msgstr uses a word that
docs/glossary.toml forbids for its language (docs/glossary.md says which word
to use instead)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from babel.messages.catalog import Message
from django.conf import settings
from django.test import SimpleTestCase

from tests.i18n.base import OTHER_LANGUAGES, catalogue

DOCS = Path(settings.BASE_DIR) / "docs"


def forbidden_words() -> dict[str, list[dict[str, str]]]:
    """Language -> its forbidden words, each a dict with word, pattern, reason
    and maybe unless (see the head of docs/glossary.toml)."""
    with (DOCS / "glossary.toml").open("rb") as file:
        return tomllib.load(file)


def forbidden_uses(messages, rules: list[dict[str, str]]) -> list[str]:
    """One line per msgstr that matches a rule: the msgid, the word, and the
    text that matched."""
    found = []
    for message in messages:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = (
            [message.string] if isinstance(message.string, str) else message.string
        )
        for rule in rules:
            if rule.get("unless") and re.search(rule["unless"], msgid, re.IGNORECASE):
                continue
            pattern = re.compile(rule["pattern"], re.IGNORECASE)
            for string in strings:
                if match := pattern.search(string or ""):
                    found.append(f"{msgid!r}: {rule['word']} (“{match.group(0)}”)")
                    break
    return found


class GlossaryTests(SimpleTestCase):
    def test_no_catalogue_uses_a_word_its_glossary_forbids(self):
        rules = forbidden_words()
        for language in OTHER_LANGUAGES:
            with self.subTest(language=language):
                self.assertEqual(
                    forbidden_uses(catalogue(language), rules[language]), []
                )

    def test_every_language_forbids_words_with_a_reason(self):
        rules = forbidden_words()
        self.assertEqual(set(rules), set(OTHER_LANGUAGES))
        for language, entries in rules.items():
            for rule in entries:
                with self.subTest(language=language, word=rule.get("word")):
                    self.assertLessEqual({"word", "pattern", "reason"}, set(rule))
                    self.assertLessEqual(
                        set(rule), {"word", "pattern", "reason", "unless"}
                    )
                    self.assertTrue(rule["reason"].strip())
                    re.compile(rule["pattern"])

    def test_the_glossary_page_lists_every_forbidden_word(self):
        page = " ".join((DOCS / "glossary.md").read_text(encoding="utf-8").split())
        for language, entries in forbidden_words().items():
            for rule in entries:
                with self.subTest(language=language, word=rule["word"]):
                    self.assertIn(f"**{rule['word']}**", page)

    def test_the_check_names_the_message_and_the_word(self):
        rules = forbidden_words()
        messages = [
            Message("Thank you for your pledge!", "Спасибо за обещание!"),
            Message("Desk", "Рабочий стол"),
            Message("Add a column", "Добавьте столбец"),
            Message(
                ("%(n)d pledge", "%(n)d pledges"), ("%(n)d взнос", "", "%(n)d обещаний")
            ),
        ]
        self.assertEqual(
            forbidden_uses(messages, rules["ru"]),
            [
                "'Thank you for your pledge!': обещание, пообещать, обещано (“обещ”)",
                "'Desk': рабочий стол, стол (for the desk) (“Рабочий стол”)",
                "'%(n)d pledge': обещание, пообещать, обещано (“обещ”)",
            ],
        )

    def test_a_word_is_allowed_where_the_english_means_it(self):
        # Belarusian "пераклад" is a translation: wrong for a bank transfer,
        # right for a story's translation.
        rules = forbidden_words()["be"]
        transfer = Message("Scan (SEPA transfers)", "Адскануйце (пераклады SEPA)")
        story = Message("When there is no translation", "Калі няма перакладу")
        self.assertEqual(len(forbidden_uses([transfer, story], rules)), 1)
