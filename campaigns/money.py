"""Currencies Zbor accepts, and Decimal helpers for amounts in them."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY_CHOICES = [("EUR", "EUR"), ("PLN", "PLN"), ("USD", "USD")]
DEFAULT_CURRENCY = "EUR"
CENT = Decimal("0.01")


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
