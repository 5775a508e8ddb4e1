"""A campaign's pledges as CSV that spreadsheets open correctly.

UTF-8 with a byte order mark (Excel otherwise guesses the encoding and garbles
Cyrillic and Polish names), and every text cell that a spreadsheet would read
as a formula (starting with = + - @, a tab or a carriage return) prefixed with
an apostrophe, so a donor's name or message can never run as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from config import workers
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


def _when(value, zone) -> str:
    """2026-11-30 20:15, in the site's time zone."""
    return value.astimezone(zone).isoformat(" ", "minutes")[:16] if value else ""


def _yes(value: bool) -> str:
    return "yes" if value else "no"


# Read as plain tuples, not model instances: a million-pledge campaign must
# stream whole well inside the worker's timeout.
READ = [
    "reference",
    "created_at",
    "kind",
    "status",
    "amount",
    "amount_currency",
    "received_amount",
    "received_at",
    "line_id",
    "donor_name",
    "is_anonymous",
    "email",
    "message",
    "message_hidden",
    "cancel_reason",
    "note",
]
CHUNK = 2000  # rows read per round trip, and sent per piece of the response


# Cells anyone could type into (donors, the team): the only ones that may
# start like a formula. Codes, amounts, dates and yes/no never do.
TYPED = {"line", "donor_name", "email", "message", "cancel_reason", "note"}


def _cells(row: tuple, labels: dict[int, str], zone) -> dict[str, object]:
    values = dict(zip(READ, row, strict=True))
    return {
        **values,
        "created_at": _when(values["created_at"], zone),
        "currency": values["amount_currency"],
        "received_amount": ""
        if values["received_amount"] is None
        else values["received_amount"],
        "received_at": _when(values["received_at"], zone),
        "line": labels.get(values["line_id"], ""),
        "anonymous": _yes(values["is_anonymous"]),
        "message_hidden": _yes(values["message_hidden"]),
    }


def pledge_rows(campaign: Campaign, *, with_emails: bool) -> Iterator[str]:
    """The CSV text, a few thousand lines at a time (the pledges are read in
    chunks, oldest first)."""
    columns = [c for c in COLUMNS if with_emails or c != "email"]
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(columns)
    labels = {line.pk: line.label for line in campaign.lines.all()}
    rows = (
        Pledge.objects.filter(campaign=campaign)
        .order_by("created_at", "id")
        .values_list(*READ)
    )
    zone = timezone.get_current_timezone()
    piece = []
    # In a transaction, PostgreSQL's cursor sends the rows as they are fetched,
    # each FETCH a statement of its own. Outside one, Django declares it WITH
    # HOLD, and PostgreSQL builds the whole result before the first row: for a
    # million pledges seconds of silence, and a statement that could pass the
    # statement_timeout.
    with transaction.atomic():
        for row in rows.iterator(chunk_size=CHUNK):
            cells = _cells(row, labels, zone)
            piece.append(
                writer.writerow(
                    [
                        safe_cell(cells[name]) if name in TYPED else cells[name]
                        for name in columns
                    ]
                )
            )
            if len(piece) == CHUNK:
                yield "".join(piece)
                piece = []
                workers.still_working()  # however long the whole file takes
    if piece:
        yield "".join(piece)
