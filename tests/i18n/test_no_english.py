"""No public page in Polish, Belarusian, Russian or Ukrainian shows English
interface text, even text the catalogue does not know: a string left out of
{% translate %}, or one of Django's own with no translation.

test_every_page looks for the catalogue's English messages on each page; this
test compares each page with the same page in English instead. A text that is
the same on both is English left on the page, unless it is data (a name, an
IBAN, a code, an amount) or the language's own translation happens to be the
same word ("Status", "IBAN")."""

from __future__ import annotations

import re

from django.utils import translation

from campaigns.models import Campaign
from donations.models import Pledge
from tests.i18n.base import (
    OTHER_LANGUAGES,
    PublicPagesTestCase,
    catalogue,
    visible_text,
)

# Words in lower or mixed case: all-capital ones are codes (IBAN, SEPA, CET, QR,
# a reference code), never interface text.
WORD = re.compile(r"[^\W\d_]*[a-z][^\W\d_]*")


def own_translations(language: str) -> set[str]:
    """Every msgstr of the language, as visible_text writes a text."""
    found = set()
    for message in catalogue(language):
        strings = (
            [message.string] if isinstance(message.string, str) else message.string
        )
        found.update(
            " ".join(string.split()).strip(" ·:") for string in strings if string
        )
    return found


def english_left(
    english_html: str, html: str, language: str, data: set[str]
) -> list[str]:
    """The texts of `html` (a page in `language`) that also appear on the same
    page in English and hold a word that is neither data nor translated."""
    english = set(visible_text(english_html, "en"))
    allowed = own_translations(language)
    return sorted(
        {
            text
            for text in visible_text(html, language)
            if text in english
            and text not in allowed
            and any(word not in data for word in WORD.findall(text))
        }
    )


class NoEnglishOnThePagesTests(PublicPagesTestCase):
    def data(self) -> set[str]:
        """The words that are the same in every language: what people typed
        (names, places, the bank) and the site's name."""
        texts = ["Zbor"]
        for campaign in Campaign.objects.all():
            texts += [
                campaign.beneficiary_name,
                campaign.city,
                campaign.country,
                campaign.account_holder,
                campaign.bank_name,
            ]
        texts += Pledge.objects.values_list("donor_name", flat=True)
        return {word for text in texts for word in WORD.findall(text)}

    def test_no_page_shows_english_interface_text(self):
        data = self.data()
        english = {
            name: response.content.decode()
            for name, response in self.pages("en").items()
        }
        for language in OTHER_LANGUAGES:
            for name, response in self.pages(language).items():
                with self.subTest(language=language, page=name):
                    html = response.content.decode()
                    self.assertEqual(
                        english_left(english[name], html, language, data), []
                    )

    def page(self, language: str, path) -> str:
        with translation.override(language):
            return self.client.get(path()).content.decode()

    def test_the_check_finds_text_outside_the_catalogue(self):
        # A sentence no catalogue knows, on the Polish page as on the English
        # one, is found; the data on both pages is not.
        stray = "<p>Share this page with your friends</p></main>"
        english, polish = (
            self.page(language, self.open.get_absolute_url).replace("</main>", stray)
            for language in ("en", "pl")
        )
        found = english_left(english, polish, "pl", self.data())
        self.assertIn("Share this page with your friends", found)
        for data in ("Konstantin M. · Warsaw, Poland", "Olek", "Zbor"):
            self.assertNotIn(data, found)

    def test_the_check_finds_english_on_an_english_page(self):
        html = self.page("en", self.pending.thanks_path)
        self.assertIn("How to pay", english_left(html, html, "ru", self.data()))
