"""Helpers more than one test module uses, in one place.

Test modules import from here (or from a package's base.py), never from one
another: a test module can then be moved, renamed or deleted on its own.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, connections

from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge
from donations.pledging import Donor, pledge_create, pledge_receive

# --- The cache ---------------------------------------------------------------

# A Redis that is not there: connections are refused at once.
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

# --- The database --------------------------------------------------------------


def served_database_url() -> str:
    """The URL of the PostgreSQL database these tests run on, for a server the
    test starts (it sees the rows a TransactionTestCase commits)."""
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


# --- Pledges, and many at once -----------------------------------------------


def pledge(
    campaign: Campaign,
    amount: str,
    line: BudgetLine | None = None,
    *,
    donor: Donor | None = None,
    token: str | None = None,
    **kwargs,
) -> Pledge:
    """A pledge made through the one function the pledge form uses."""
    return pledge_create(
        campaign=campaign,
        line=line,
        amount=Decimal(amount),
        donor=donor or Donor(name="Ala"),
        submission_token=token,
        **kwargs,
    )


def receive(made: Pledge, amount: str | None = None, *, by=None, **kwargs) -> Pledge:
    """Record `made` as received, by default with the amount pledged."""
    return pledge_receive(
        pledge=made,
        amount=Decimal(amount) if amount is not None else made.amount.amount,
        by=by,
        **kwargs,
    )


def at_once(count: int, work: Callable[[int], object]) -> list[str]:
    """Run work(0) … work(count - 1) in as many threads, started together, each
    on its own connection. Returns the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(n)
        except Exception as error:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


# --- The campaign admin form -------------------------------------------------

ADD_URL = "/admin/campaigns/campaign/add/"

TWO_LINES = [
    {"position": "0", "label": "Coats", "target": "180", "note": ""},
    {"position": "1", "label": "Boots", "target": "95.50", "note": "size 44"},
]


def change_url(campaign: Campaign) -> str:
    return f"/admin/campaigns/campaign/{campaign.pk}/change/"


def management_form(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def form_data(campaign=None, lines=(), photos=(), **overrides) -> dict:
    """What the admin's campaign form posts, with its inline formsets (lines,
    photos, and the team left as it is). A None override leaves the field out."""
    data = {
        "title": "Winter coats for Ales B.",
        "slug": "ales",
        "beneficiary_name": "Ales B.",
        "city": "Gdańsk",
        "country": "Poland",
        "summary": "Two coats and boots before the frost.",
        "story": "## Why\n\nIt is cold.",
        "currency": "EUR",
        "deadline_0": "",
        "deadline_1": "",
        "stop_at_goal": "on",
        "published": "on",
        "pledge_expiry_days": "14",
        "reminder_days": "2",
        "transfer_sent_days": "7",
        "max_pledge": "10000",
        "account_holder": "Ales B.",
        "iban": "PL61 1090 1014 0000 0712 1981 2874",
        "bic": "wbkp plpp",
        "bank_name": "",
        "payment_other": "",
    }
    existing = list(campaign.lines.all()) if campaign else []
    data |= management_form("lines", len(lines), len(existing))
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
        if campaign:
            data[f"lines-{index}-campaign"] = str(campaign.pk)
    existing_photos = list(campaign.photos.all()) if campaign else []
    data |= management_form("photos", len(photos), len(existing_photos))
    for index, photo in enumerate(photos):
        for key, value in photo.items():
            data[f"photos-{index}-{key}"] = value
    team = list(campaign.team.all()) if campaign else []
    data |= management_form("team", len(team), len(team))
    for index, member in enumerate(team):
        data[f"team-{index}-id"] = str(member.pk)
        data[f"team-{index}-campaign"] = str(campaign.pk)
        data[f"team-{index}-user"] = str(member.user_id)
        data[f"team-{index}-role"] = member.role
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def existing_lines(campaign: Campaign) -> list[dict]:
    return [
        {
            "id": str(line.pk),
            "position": str(line.position),
            "label": line.label,
            "target": str(line.target.amount),
            "note": line.note,
        }
        for line in campaign.lines.all()
    ]


def campaign_form(campaign: Campaign, **overrides) -> dict:
    """The campaign's change form as the admin would post it, unchanged."""
    fields = {
        name: getattr(campaign, name)
        for name in (
            "title",
            "slug",
            "beneficiary_name",
            "city",
            "country",
            "summary",
            "story",
            "account_holder",
            "iban",
            "bic",
            "bank_name",
            "payment_other",
        )
    }
    if not (campaign.iban and campaign.account_holder) and not campaign.payment_other:
        # A published campaign needs a way to pay; the seed campaigns have none,
        # so the form gives one, as an organizer saving it would have to.
        fields["payment_other"] = "Cash at the parish hall on Sundays."
    return form_data(campaign, lines=existing_lines(campaign), **fields) | overrides


# --- A campaign to import (manage.py import_campaign) --------------------------

# A valid import file's content; tests change a copy (copy.deepcopy).
GOOD_IMPORT = {
    "title": "Winter coats for Ales B.",
    "slug": "ales",
    "beneficiary": "Ales B.",
    "city": "Gdańsk",
    "country": "Poland",
    "summary": "Two coats and boots before the frost.",
    "story": "## Why\n\nIt is cold.",
    "currency": "EUR",
    "deadline": "2026-12-24T18:00:00+01:00",
    "stop_at_goal": True,
    "published": True,
    "account_holder": "Ales B.",
    "iban": "PL61 1090 1014 0000 0712 1981 2874",
    "lines": [
        {"label": "Coats", "target": "180", "note": "two"},
        {"label": "Boots", "target": "95.50"},
    ],
}
