"""Currencies Zbor accepts, Decimal helpers for amounts in them, and the one
way every amount a person types is read (donors, the desk, the admin)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol, get_group_symbol
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from campaigns.templatetags.money import format_money

CURRENCY_CHOICES = [("EUR", "EUR"), ("PLN", "PLN"), ("USD", "USD")]
DEFAULT_CURRENCY = "EUR"
CENT = Decimal("0.01")
# The amount columns hold 12 digits, two of them cents.
MAX_AMOUNT = Decimal("9999999999.99")


def to_cents(value) -> Decimal:
    """Quantize an amount to cents.

    SQLite can hand back a sum of Decimals as a float (6756.66999999995), so every
    total read from the database goes through here before it is shown or compared.
    """
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------
# Typed amounts
# ---------------------------------------------------------------------------

# Digits, thousands grouped by spaces or not at all ("1 250", "1250"), and at
# most one separator before the cents, a point or a comma (parse_amount decides
# which the page's language allows). Signs, exponents ("1e3"), "NaN" and
# "Infinity" never match.
SPACES = "[ \u00a0\u202f\u2009]"
SPACES_RE = re.compile(SPACES)
AMOUNT_RE = re.compile(
    rf"^(?P<units>\d{{1,12}}|\d{{1,3}}(?:{SPACES}\d{{3}}){{1,3}})"
    r"(?:(?P<separator>[.,])(?P<cents>\d+))?$"
)
# Longer than any amount AMOUNT_RE matches: refused before the regex runs.
MAX_TYPED_LENGTH = 24


def parse_amount(text: str, language: str | None = None) -> Decimal:
    """A typed amount as a Decimal, or ValidationError with a code.

    Read in the page's language (the active one by default): "12,50" is 12.50 on
    a Polish, Belarusian, Russian or Ukrainian page, where the comma marks the
    cents, and "12.50" too, since a point never groups thousands there. On an
    English page a comma groups thousands, so "12,50" and "1,250" could each be
    either amount: refused ("ambiguous") rather than guessed, as is "1.250" on a
    Polish page. Thousands may be grouped with spaces only ("1 250").
    """
    compact = (text or "").strip()
    if not compact:
        raise ValidationError(_("Enter an amount."), code="required")
    match = AMOUNT_RE.match(compact) if len(compact) <= MAX_TYPED_LENGTH else None
    if match is None:
        raise ValidationError(
            _("Enter the amount as a number, for example 25 or 12.50."),
            code="invalid",
        )
    units = SPACES_RE.sub("", match["units"])
    separator, cents = match["separator"], match["cents"]
    if separator is not None:
        locale = to_locale(language or get_language() or "en")
        is_decimal_symbol = separator == get_decimal_symbol(locale)
        if not is_decimal_symbol and (
            separator == get_group_symbol(locale) or len(cents) == 3
        ):
            raise ValidationError(
                _(
                    "“%(value)s” could mean two different amounts. Write it "
                    "without a thousands separator, with a point before the "
                    "cents: for example 1250 or 12.50."
                ),
                code="ambiguous",
                params={"value": compact},
            )
        if len(cents) > 2:
            raise ValidationError(
                _("Use at most two decimal places."), code="max_decimal_places"
            )
    try:
        return Decimal(f"{units}.{cents or '0'}")
    except InvalidOperation as error:  # pragma: no cover - the regex forbids it
        raise ValidationError(_("Enter a number."), code="invalid") from error


def typed_form(amount: Decimal, language: str | None = None) -> str:
    """An amount as a person would type it back in this language: "1250.50" in
    English, "1250,50" in Polish (no thousands separator, so never ambiguous)."""
    text = f"{to_cents(amount):f}"
    locale = to_locale(language or get_language() or "en")
    return text.replace(".", get_decimal_symbol(locale))


class AmountInput(forms.TextInput):
    """A plain text box with the phone's decimal keypad. Never type=number: the
    browser would read (or silently drop) "23,80" by its own locale, not ours."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            {
                "inputmode": "decimal",
                "autocomplete": "off",
                "spellcheck": "false",
                "size": "10",
                "maxlength": str(MAX_TYPED_LENGTH),
                **(attrs or {}),
            }
        )

    def format_value(self, value):
        if isinstance(value, Decimal):
            return typed_form(value)
        return super().format_value(value)


class AmountField(forms.CharField):
    """An amount typed by a person, read by parse_amount in the active language.

    clean() returns a Decimal (None when empty and not required). Errors carry
    parse_amount's codes ("required", "invalid", "ambiguous",
    "max_decimal_places") and "min_value" / "max_value"; each message may be
    replaced through `error_messages`, as with any Django field. `currency`
    (settable after creation, by a form that knows its campaign) formats the
    limits in the messages.
    """

    widget = AmountInput
    default_error_messages = {
        "min_value": _("The smallest amount is %(min)s."),
        "max_value": _("This amount is too large."),
    }

    def __init__(
        self,
        *,
        min_value: Decimal | None = None,
        max_value: Decimal = MAX_AMOUNT,
        currency: str | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)
        self.min_value = min_value
        self.max_value = max_value
        self.currency = currency

    def to_python(self, value) -> Decimal | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_amount(text)
        except ValidationError as error:
            if error.code in self.error_messages and error.code != "required":
                raise ValidationError(
                    self.error_messages[error.code],
                    code=error.code,
                    params=error.params,
                ) from error
            raise

    def validate(self, value: Decimal | None) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                self.error_messages["min_value"],
                code="min_value",
                params={"min": self._shown(self.min_value)},
            )
        if value > self.max_value:
            raise ValidationError(
                self.error_messages["max_value"],
                code="max_value",
                params={"max": self._shown(self.max_value)},
            )

    def _shown(self, amount: Decimal) -> str:
        if self.currency:
            return format_money(amount, self.currency)
        return typed_form(amount)
