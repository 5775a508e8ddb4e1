"""Amounts in the reader's locale, with cents only when they are not whole.

"€2,665" and "€12.50" in English, "2 665 €" and "12,50 €" in Polish.
"""

import functools
from copy import copy
from decimal import Decimal

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.utils import translation
from djmoney.money import Money

register = template.Library()


def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def format_money(amount: Decimal, currency: str, language: str | None = None) -> str:
    return _format(Decimal(amount), currency, language or translation.get_language())


# The same few amounts are shown again and again (the suggested amounts, the
# limits, a goal): Babel takes some 50 µs for each, the cache next to nothing.
@functools.lru_cache(maxsize=4096)
def _format(amount: Decimal, currency: str, language: str | None) -> str:
    locale = _locale(language)
    if amount == amount.to_integral_value():
        pattern = copy(locale.currency_formats["standard"])
        pattern.frac_prec = (0, 0)
        return pattern.apply(amount, locale, currency=currency, currency_digits=False)
    return format_currency(amount, currency, locale=locale)


@register.filter(name="money")
def money_filter(value: Money | None) -> str:
    if value is None:
        return ""
    return format_money(value.amount, str(value.currency))
