"""Who runs a collection and how donors reach them: the contact handles'
normal forms, checks and links.

Each `clean_*` takes what an organizer typed (in the admin or an imported file)
and returns the one form stored, or raises ValidationError with a code; each
`validate_*` checks a stored value (the model's validators). Pure functions,
no query.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Telegram usernames: 5-32 letters, digits and underscores, starting with a
# letter, not ending with an underscore.
TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}[A-Za-z0-9]")
TELEGRAM_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(?P<name>[^/?#]+)/?", re.IGNORECASE
)
# Signal usernames: a nickname of 3-32 letters, digits and underscores (not
# starting with a digit), a dot and 2-9 digits: "olga_k.42".
SIGNAL_USERNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,31}\.[0-9]{2,9}")
# International (E.164) form: a plus, a country code that does not start with
# 0, 8 to 15 digits in all.
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
PHONE_SEPARATORS = re.compile(r"[\s().\-/]")


def clean_telegram(value: str) -> str:
    """ "@olga_k", "olga_k", "t.me/olga_k" or "https://t.me/olga_k" -> "@olga_k"."""
    value = (value or "").strip()
    if not value:
        return ""
    link = TELEGRAM_LINK.fullmatch(value)
    name = link["name"] if link else value.removeprefix("@")
    if not TELEGRAM_USERNAME.fullmatch(name):
        raise ValidationError(
            _(
                "%(value)s is not a Telegram username: write it as @name or "
                "t.me/name (5 to 32 letters, digits or underscores)."
            ),
            code="invalid_telegram",
            params={"value": value},
        )
    return f"@{name}"


def validate_telegram(value: str) -> None:
    if value and clean_telegram(value) != value:
        raise ValidationError(
            _("Write the Telegram username as @name."), code="invalid_telegram"
        )


def clean_signal(value: str) -> str:
    """ "olga_k.42" (an "@" before it is dropped) -> "olga_k.42"."""
    value = (value or "").strip().removeprefix("@")
    if not value:
        return ""
    if not SIGNAL_USERNAME.fullmatch(value):
        raise ValidationError(
            _(
                "%(value)s is not a Signal username: a name, a dot and at least "
                "two digits, like olga_k.42 (for a phone number, use the phone "
                "field)."
            ),
            code="invalid_signal",
            params={"value": value},
        )
    return value


def validate_signal(value: str) -> None:
    if value:
        clean_signal(value)


def clean_phone(value: str) -> str:
    """ "+48 600 123 456", "0048 (600) 123-456" -> "+48 600 123 456": the
    organizer's grouping kept, separators as single spaces."""
    value = (value or "").strip()
    if not value:
        return ""
    spaced = " ".join(PHONE_SEPARATORS.sub(" ", value).split())
    if spaced.startswith("00"):
        spaced = "+" + spaced[2:].lstrip()
    if not PHONE.fullmatch(phone_digits(spaced)):
        raise ValidationError(
            _(
                "%(value)s is not a phone number in international form: start "
                "with + and the country code, like +48 600 123 456."
            ),
            code="invalid_phone",
            params={"value": value},
        )
    return spaced


def validate_phone(value: str) -> None:
    if value and clean_phone(value) != value:
        raise ValidationError(
            _("Write the phone number as + and digits, like +48 600 123 456."),
            code="invalid_phone",
        )


def phone_digits(phone: str) -> str:
    """ "+48 600 123 456" -> "+48600123456", for a tel: link."""
    return phone.replace(" ", "")


def validate_https(value: str) -> None:
    """Links donors follow to check an attestation: https only, with a host."""
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError(_("The link must start with https://."), code="not_https")


def check_attestation(*, by: str, on: date | None, url: str, today: date) -> dict:
    """The attestation's fields together: an organisation and a date, both or
    neither, the date not in the future, a link only with them. Returns
    {field: ValidationError}."""
    errors: dict[str, ValidationError] = {}
    if (by or url) and on is None:
        errors["attested_on"] = ValidationError(
            _("Give the date the attestation was made."), code="attestation_date"
        )
    if (on or url) and not by:
        errors["attested_by"] = ValidationError(
            _("Name the organisation that confirmed this collection."),
            code="attestation_by",
        )
    if on is not None and on > today:
        errors["attested_on"] = ValidationError(
            _("The attestation's date cannot be in the future."),
            code="attestation_in_future",
        )
    return errors


def telegram_url(handle: str) -> str:
    return f"https://t.me/{handle.removeprefix('@')}" if handle else ""
