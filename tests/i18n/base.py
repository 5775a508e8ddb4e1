"""Helpers for the language tests: up-to-date compiled catalogues, a campaign
written in all five languages, and the check that finds interface strings left
in English on a page."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation import trans_real

from campaigns.models import BudgetLine, Campaign
from campaigns.translation import (
    BudgetLineTranslationOptions,
    CampaignTranslationOptions,
)

OTHER_LANGUAGES = ["pl", "be", "ru", "uk"]
LOCALE = Path(settings.BASE_DIR) / "locale"


def catalogue_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def compile_catalogues() -> None:
    """Compile any .po newer than its .mo (`make install` does it too), and make
    Django read them again."""
    stale = [
        po
        for po in (catalogue_path(language) for language in OTHER_LANGUAGES)
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed to compile the catalogues"
    for po in stale:
        subprocess.run(  # noqa: S603 - our own files
            [msgfmt, "--check-format", "-o", str(po.with_suffix(".mo")), str(po)],
            check=True,
        )
    trans_real._translations = {}
    trans_real._default = None


def catalogue(language: str):
    with catalogue_path(language).open("rb") as file:
        return read_po(file, locale=language)


def translate_campaign(campaign: Campaign, languages=OTHER_LANGUAGES) -> Campaign:
    """Give every translated field of the campaign and its lines a text in each of
    `languages`, made of the language code and the field ("pl title ✓"). Writes
    with update(), so totals changed since `campaign` was read are kept."""
    texts = {
        f"{field}_{language}": f"{language} {field} ✓"
        for language in languages
        for field in CampaignTranslationOptions.fields
    }
    Campaign.objects.filter(pk=campaign.pk).update(**texts)
    for index, line in enumerate(campaign.lines.all()):
        BudgetLine.objects.filter(pk=line.pk).update(
            **{
                f"{field}_{language}": f"{language} {field} {index} ✓"
                for language in languages
                for field in BudgetLineTranslationOptions.fields
            }
        )
    return Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)


# Finding English interface strings on a page --------------------------------

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[sd%]|<[^>]+>")


class _VisibleText(HTMLParser):
    """Text nodes and readable attributes, leaving out any element marked with
    another language than the page's (the language switcher's own names)."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []

    def foreign(self) -> bool:
        return any(other for _tag, other in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        other = attributes.get("lang", self.language) != self.language
        if tag == "html":
            other = False
        if not (other or self.foreign()):
            for name in TEXT_ATTRIBUTES:
                if attributes.get(name):
                    self.chunks.append(attributes[name])
            if tag == "meta" and attributes.get("name") == "description":
                self.chunks.append(attributes.get("content", ""))
        if tag not in VOID:
            self.stack.append((tag, other))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.foreign() and data.strip():
            self.chunks.append(data)


def visible_text(html: str, language: str) -> list[str]:
    parser = _VisibleText(language)
    parser.feed(html)
    return [" ".join(chunk.split()).strip(" ·:") for chunk in parser.chunks]


def _fragments(msgid: str) -> list[tuple[str, bool]]:
    """What to look for, and whether it must be a whole text on the page: a
    one-word message must ("Goal"), a longer one may be part of a text; so may
    the parts of a message between its placeholders that are 4 characters or
    longer ("Goal:" of "Goal: %(goal)s")."""
    parts = [" ".join(part.split()) for part in PLACEHOLDER.split(msgid)]
    if len(parts) == 1:
        return [(parts[0], len(parts[0].split()) == 1)]
    return [(part, False) for part in parts if len(part.strip(" .,:;()")) >= 4]


def untranslated(html: str, language: str) -> list[str]:
    """The catalogue's messages that appear on the page in English, except those
    translated identically ("IBAN")."""
    chunks = visible_text(html, language)
    found = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = (
            [message.string] if isinstance(message.string, str) else message.string
        )
        for msgid in ids:
            if msgid in strings:
                continue
            for fragment, whole in _fragments(msgid):
                if any(
                    chunk == fragment.strip(" ·:") if whole else fragment in chunk
                    for chunk in chunks
                ):
                    found.append(msgid)
                    break
    return sorted(set(found))
