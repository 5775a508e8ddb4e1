"""Demo pledges for load_demo, made through the write functions like real ones.

Each campaign gets its pledges only once (when it has none), so rerunning the
demo changes nothing. The result: Konstantin's collection in progress, Alesia's
goal reached with money still on its way, Siarhei's past collection closed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from campaigns.models import Campaign
from donations.models import Pledge
from donations.pledging import Donor, gift_record, pledge_create, pledge_receive

# (amount, line index or None, donor, days ago, received amount or None)
KONSTANTIN = [
    ("500", 0, Donor(name="Hanna", message="Stay strong, Konstantin."), 5, "500"),
    ("120", None, Donor(is_anonymous=True), 4, "118.50"),
    ("50", 1, Donor(name="Pavel", show_amount=True, message="Жыве Беларусь!"), 3, None),
    ("200", None, Donor(name="Ewa", message="Powodzenia!"), 2, "200"),
    ("35", 2, Donor(name="Mikhail", show_amount=True), 1, None),
    ("25", None, Donor(name="Olena"), 0, None),
]
ALESIA = [
    ("2400", 0, Donor(name="A friend from Minsk"), 4, "2400"),
    (
        "800",
        1,
        Donor(is_anonymous=True, message="Good luck with the course!"),
        2,
        "800",
    ),
    ("1500", None, Donor(name="Teachers of School No. 5", show_amount=True), 1, None),
]
# Siarhei's collection ended before this demo: its money came in as gifts.
SIARHEI_GIFTS = [("1200", 0), ("650", None), ("815", None)]  # €2,665


def load_demo_pledges(campaigns: dict[str, Campaign], *, now: datetime) -> int:
    """Add the demo pledges to campaigns that have none. Returns how many."""
    made = 0
    plans = {"konstantin": KONSTANTIN, "alesia-laptop": ALESIA}
    for slug, plan in plans.items():
        campaign = campaigns.get(slug)
        if campaign is None or campaign.pledges.exists():
            continue
        lines = list(campaign.lines.all())
        for amount, index, donor, days_ago, received in plan:
            pledge = pledge_create(
                campaign=campaign,
                line=None if index is None else lines[index],
                amount=Decimal(amount),
                donor=donor,
                submission_token=None,
                now=now,
            )
            # Spread over the last days: the page says "3 days ago", not a time.
            Pledge.objects.filter(pk=pledge.pk).update(
                created_at=now - timedelta(days=days_ago)
            )
            if received is not None:
                pledge_receive(
                    pledge=pledge, amount=Decimal(received), by=None, now=now
                )
            made += 1
    siarhei = campaigns.get("siarhei-dentist")
    if siarhei is not None and not siarhei.pledges.exists():
        lines = list(siarhei.lines.all())
        for amount, index in SIARHEI_GIFTS:
            gift_record(
                campaign=siarhei,
                amount=Decimal(amount),
                line=None if index is None else lines[index],
                note="Demo: transfer received before the deadline",
                by=None,
                now=now,
            )
            made += 1
    return made
