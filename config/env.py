"""Reading settings from the environment, strictly.

Each helper turns one variable into a typed value, once, when the settings load.
A value it does not understand stops the start with ImproperlyConfigured naming
the variable and the value: `SECURE_SSL_REDIRECT=ture` must not quietly switch
HTTPS off. An unset or empty variable takes the default (so `NAME=` in a .env
file means "the default", as it does for most tools).

No Django settings are read here, so gunicorn.conf.py can use these too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Rate:
    """`count` events per `seconds`, written "count/seconds" ("20/600")."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, slash, seconds = text.strip().partition("/")
        try:
            rate = cls(int(count), int(seconds))
        except ValueError:
            rate = None
        if not slash or rate is None or rate.count < 1 or rate.seconds < 1:
            raise ValueError(
                f"{text!r} is not a rate: write count/seconds, both whole numbers "
                "above 0, e.g. 20/600"
            )
        return rate

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"


def refuse(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not {expected}.")


def raw(name: str) -> str | None:
    """The variable's text, or None when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str = "") -> str:
    """The text as given (a secret keeps its every character), or the default."""
    return default if raw(name) is None else os.environ[name]


def env_bool(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise refuse(name, value, "a yes/no value (true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = 0) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise refuse(name, value, "a whole number") from None
    if minimum is not None and number < minimum:
        raise refuse(name, value, f"a whole number of at least {minimum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = 0) -> float:
    value = raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise refuse(name, value, "a number") from None
    if number != number or (minimum is not None and number < minimum):  # NaN too
        raise refuse(name, value, f"a number of at least {minimum}")
    return number


def env_decimal(name: str, default: str, *, minimum: str = "0") -> Decimal:
    value = raw(name) or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise refuse(name, value, "a decimal number such as 1.00") from None
    if not number.is_finite() or number < Decimal(minimum):
        raise refuse(name, value, f"a decimal number of at least {minimum}")
    return number


def env_list(name: str, default: Iterable[str] = ()) -> list[str]:
    """A comma-separated list; blanks around and between items are ignored."""
    value = raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> Rate:
    value = raw(name) or default
    try:
        return Rate.parse(value)
    except ValueError:
        raise refuse(name, value, "a rate: count/seconds, e.g. 20/600") from None
