"""Helpers for the language tests: up-to-date compiled catalogues, a campaign
written in all five languages, the check that finds interface strings left in
English on a page, and every public page rendered in a given language."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import trans_real

from campaigns.models import BudgetLine, Campaign
from campaigns.translation import (
    BudgetLineTranslationOptions,
    CampaignTranslationOptions,
)
from donations.pledging import Donor, campaign_close, pledge_cancel, pledge_receive
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge

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


# The public pages, in any language ---------------------------------------

PAYMENT = {
    "account_holder": "Zbor Demo",
    "iban": "PL61109010140000071219812874",
    "bic": "WBKPPLPP",
    "bank_name": "Santander",
}


class PublicPagesTestCase(DonationsTestCase):
    """The seed campaign open (12 days left, money collected and on its way,
    supporters), one fully promised (with a rule for money over the goal), one
    closed over its goal; the pledge form (empty, with errors, fully promised,
    refused), the thank-you pages, the posters, the badges and the 404."""

    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        cls.open = cls.campaign
        Campaign.objects.filter(pk=cls.open.pk).update(
            deadline=now + timedelta(days=12), **PAYMENT
        )
        cls.open.refresh_from_db()
        cls.pending = pledge(cls.open, "400", cls.food, donor=Donor(name="Ala"))
        cls.received = pledge(cls.open, "50", donor=Donor(name="Olek"))
        pledge_receive(pledge=cls.received, amount=Decimal("50"), by=cls.volunteer)
        cls.cancelled = pledge(cls.open, "20", donor=Donor(is_anonymous=True))
        pledge_cancel(pledge=cls.cancelled, reason="never paid", by=cls.volunteer)
        translate_campaign(cls.open)

        cls.promised = make_campaign(
            slug="promised",
            lines=[("Rent", "100"), ("Food", "50")],
            over_goal_rule="Money over the goal pays next month's rent.",
        )
        paid = pledge(cls.promised, "30", donor=Donor(name="Ola"))
        pledge_receive(pledge=paid, amount=Decimal("30"), by=cls.volunteer)
        pledge(cls.promised, "100", cls.promised.lines.first(), donor=Donor())
        pledge(cls.promised, "40", donor=Donor(name="Ala"))
        translate_campaign(cls.promised)

        cls.ended = make_campaign(
            slug="ended", lines=[("Rent", "100")], stop_at_goal=False, **PAYMENT
        )
        done = pledge(cls.ended, "150", donor=Donor(name="Ala"))
        pledge_receive(pledge=done, amount=Decimal("150"), by=cls.volunteer)
        campaign_close(campaign=cls.ended, reason="manual", by=cls.organizer)
        translate_campaign(cls.ended)

    def pages(self, language: str) -> dict[str, object]:
        """Every public page, rendered in `language`: name -> response."""
        with translation.override(language):
            pages = {
                "list": self.client.get(self.url("campaigns:list")),
                "open": self.client.get(self.open.get_absolute_url()),
                "fully promised": self.client.get(self.promised.get_absolute_url()),
                "closed": self.client.get(self.ended.get_absolute_url()),
                "pledge form": self.client.get(self.give_url(self.open)),
                "pledge form with errors": self.client.post(
                    self.give_url(self.open),
                    {
                        "amount": "other",
                        "other_amount": "1.250",
                        "email": "not an address",
                        "line": "",
                        "token": "t" * 32,
                    },
                ),
                "pledge form, fully promised": self.client.get(
                    self.give_url(self.promised)
                ),
                "pledge form, closed": self.client.get(self.give_url(self.ended)),
                "thanks, pending": self.client.get(self.pending.thanks_path()),
                "thanks, received": self.client.get(self.received.thanks_path()),
                "thanks, cancelled": self.client.get(self.cancelled.thanks_path()),
                "poster": self.client.get(self.share_url("poster", self.open)),
                "poster, fully promised": self.client.get(
                    self.share_url("poster", self.promised)
                ),
                "poster, closed": self.client.get(self.share_url("poster", self.ended)),
                "badge": self.client.get(self.share_url("badge", self.open)),
                "badge, fully promised": self.client.get(
                    self.share_url("badge", self.promised)
                ),
                "badge, closed": self.client.get(self.share_url("badge", self.ended)),
                "404": self.client.get(f"/{language}/c/nobody/"),
            }
        return pages

    def url(self, name: str) -> str:
        return reverse(name)

    def share_url(self, name: str, campaign: Campaign) -> str:
        return reverse(f"campaigns:{name}", args=[campaign.slug])

    def give_url(self, campaign: Campaign) -> str:
        return reverse("donations:pledge", args=[campaign.slug])
