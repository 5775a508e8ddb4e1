"""A campaign's pledges as CSV that spreadsheets open correctly.

UTF-8 with a byte order mark (Excel otherwise guesses the encoding and garbles
Cyrillic and Polish names), and every text cell that a spreadsheet would read
as a formula (starting with = + - @, a tab or a carriage return) prefixed with
an apostrophe, so a donor's name or message can never run as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Pledge

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "reference",
    "created_at",
    "kind",
    "status",
    "amount",
    "currency",
    "received_amount",
    "received_at",
    "line",
    "donor_name",
    "anonymous",
    "email",
    "message",
    "message_hidden",
    "cancel_reason",
    "note",
]


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def pledge_rows(campaign: Campaign, *, with_emails: bool) -> Iterator[str]:
    """The CSV text, line by line (the pledges are read in chunks)."""
    columns = [c for c in COLUMNS if with_emails or c != "email"]
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(columns)
    pledges = (
        Pledge.objects.filter(campaign=campaign)
        .select_related("line")
        .order_by("created_at", "id")
    )
    for pledge in pledges.iterator(chunk_size=500):
        row = {
            "reference": pledge.reference,
            "created_at": _when(pledge.created_at),
            "kind": pledge.kind,
            "status": pledge.status,
            "amount": pledge.amount.amount,
            "currency": pledge.amount.currency.code,
            "received_amount": (
                pledge.received_amount.amount if pledge.received_amount else ""
            ),
            "received_at": _when(pledge.received_at),
            "line": pledge.line.label if pledge.line else "",
            "donor_name": pledge.donor_name,
            "anonymous": "yes" if pledge.is_anonymous else "no",
            "email": pledge.email,
            "message": pledge.message,
            "message_hidden": "yes" if pledge.message_hidden else "no",
            "cancel_reason": pledge.cancel_reason,
            "note": pledge.note,
        }
        yield writer.writerow([safe_cell(row[column]) for column in columns])
