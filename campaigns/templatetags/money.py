"""Amounts and percentages in the reader's locale, with cents only when they are
not whole.

CLDR's patterns, through Babel, with one rule per language and currency where
CLDR's symbol is not what readers of that language write (SYMBOLS below):

    |     | EUR       | PLN         | USD       |
    | en  | €2,665    | PLN 4,500   | $2,665    |
    | pl  | 2 665 €   | 4 500 zł    | 2 665 USD |
    | be  | 2 665 €   | 4 500 zł    | 2 665 $   |
    | ru  | 2 665 €   | 4 500 zł    | 2 665 $   |
    | uk  | 2 665 €   | 4 500 zł    | 2 665 $   |

The spaces are non-breaking: an amount never wraps across two lines.
tests/i18n/test_locale_formats.py states every cell, with and without cents.
"""

import functools
from copy import copy
from decimal import Decimal

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import format_percent as babel_format_percent
from django import template
from django.utils import translation
from djmoney.money import Money

register = template.Library()

NBSP = "\u00a0"

# Where CLDR's symbol is not what these readers write. CLDR has no sign for the
# złoty outside Polish (it prints "4 500 PLN"), but the people who read Zbor in
# Belarusian, Russian or Ukrainian mostly live in Poland and see "zł" on every
# price tag and bank statement. Ukrainian CLDR prints codes ("2 665 EUR",
# "USD") where Ukrainian readers write the signs, as Russian and Belarusian do.
# Polish keeps "USD": that is how Polish banks and press write dollars.
SYMBOLS = {
    ("be", "PLN"): "zł",
    ("ru", "PLN"): "zł",
    ("uk", "PLN"): "zł",
    ("uk", "EUR"): "€",
    ("uk", "USD"): "$",
}


def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    return _format(Decimal(amount), currency, language or translation.get_language())


# The same few amounts are shown again and again (the suggested amounts, the
# limits, a goal): Babel builds each from its locale data again, the cache
# remembers it (docs/performance.md).
@functools.lru_cache(maxsize=4096)
def _format(amount: Decimal, currency: str, language: str | None) -> str:
    locale = _locale(language)
    pattern = copy(locale.currency_formats["standard"])
    if amount == amount.to_integral_value():
        pattern.frac_prec = (0, 0)
    text = pattern.apply(amount, locale, currency=currency, currency_digits=False)
    cldr_symbol = locale.currency_symbols.get(currency, currency)
    symbol = SYMBOLS.get((locale.language, currency), cldr_symbol)
    if symbol != cldr_symbol:
        text = text.replace(cldr_symbol, symbol)
    # English puts the symbol first, flush against the digits: right for "€"
    # and "$", unreadable for a code ("PLN4,500"). CLDR's currency spacing rule,
    # which Babel does not apply, puts a space between letters and digits:
    # "PLN 4,500", the way English-language Polish banks write it.
    if symbol.isalpha() and text.startswith(symbol):
        text = symbol + NBSP + text[len(symbol) :].lstrip(NBSP)
    return text


def format_percent(value: int | Decimal, language: str | None = None) -> str:
    """A whole percentage as the reader's language writes it, from CLDR: "37%" in
    English, Polish and Ukrainian, "37 %" (a non-breaking space) in Belarusian
    and Russian, whose norm (GOST 8.417) separates the sign."""
    return _percent(Decimal(value), language or translation.get_language())


@functools.lru_cache(maxsize=512)
def _percent(value: Decimal, language: str | None) -> str:
    return babel_format_percent(value / 100, locale=_locale(language))


@register.filter(name="money")
def money_filter(value: Money | None) -> str:
    if value is None:
        return ""
    return format_money(value.amount, str(value.currency))


@register.filter(name="percent")
def percent_filter(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    return format_percent(value)
