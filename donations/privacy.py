"""Forgetting donors: what Zbor keeps about them ends with the retention period."""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from campaigns.cache import pages_changed
from campaigns.models import Activity, Campaign
from donations.models import Outbox, Pledge, StatementEntry
from donations.pledging import EXPIRED

# Every free text of a pledge that may name a donor: what they typed (name,
# email, message) and what the team typed about them (the note, a gift's note,
# why it was cancelled). "expired" is the code the expiry job writes, not words.
HOLDS_DONOR_DATA = (
    ~Q(donor_name="")
    | ~Q(email="")
    | ~Q(message="")
    | ~Q(note="")
    | ~Q(cancel_reason__in=["", EXPIRED])
)
CLEARED = {
    "donor_name": "",
    "email": "",
    "message": "",
    "note": "",
    "cancel_reason": Case(
        When(cancel_reason=EXPIRED, then=Value(EXPIRED)), default=Value("")
    ),
}

# A bank statement entry's payer and title name the donor as the pledge does.
NAMES_PAYER = ~Q(counterparty="") | ~Q(title="")
PAYER_CLEARED = {"counterparty": "", "title": ""}

# The words a volunteer or organizer typed into the record ("paid in cash by
# …"), by action; the amounts, statuses and codes beside them stay. An automatic
# reopening's reason is the app's own sentence.
A = Activity.Action
TYPED_IN_RECORD = {
    A.RECEIPT_CORRECTED: "reason",
    A.RECEIPT_UNDONE: "reason",
    A.PLEDGE_CANCELLED: "reason",
    A.CLOSED: "note",
    A.REOPENED: "reason",
}
HOLDS_TYPED_WORDS = functools.reduce(
    operator.or_,
    (Q(action=action, details__has_key=key) for action, key in TYPED_IN_RECORD.items()),
) & ~Q(action=A.REOPENED, details__has_key="automatic")


@dataclass(frozen=True)
class PurgeResult:
    pledges: int
    campaigns: int
    closed_before: datetime
    records: int = 0
    entries: int = 0  # statement entries no campaign took


def purge_donor_data(
    *, retention: timedelta, now: datetime | None = None
) -> PurgeResult:
    """Clear every free text that may name a donor in campaigns closed longer
    than `retention` ago (closed by record, or past their deadline): donors'
    names, emails and messages, team notes, gift notes and typed cancel reasons
    on the pledges, the reasons and notes typed into the campaign's record, and
    the payers' names and titles of its bank statement entries (and of entries
    no campaign took, booked before the cutoff).
    Amounts, totals, statuses, reference codes and the rest of the record stay.
    One Activity row per campaign purged; running it again changes nothing. One
    transaction per campaign, under its row lock, so it never races a
    volunteer's change.
    """
    cutoff = (now or timezone.now()) - retention
    campaign_ids = (
        Campaign.objects.closed_before(cutoff)
        .filter(
            Q(pk__in=Pledge.objects.filter(HOLDS_DONOR_DATA).values("campaign_id"))
            | Q(pk__in=Activity.objects.filter(HOLDS_TYPED_WORDS).values("campaign_id"))
            | Q(pk__in=StatementEntry.objects.filter(NAMES_PAYER).values("campaign_id"))
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    pledges = campaigns = records = entries = 0
    for campaign_id in list(campaign_ids):
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update()
                .closed_before(cutoff)
                .filter(pk=campaign_id)
                .first()
            )
            if campaign is None:  # reopened meanwhile
                continue
            count = (
                Pledge.objects.filter(campaign=campaign)
                .filter(HOLDS_DONOR_DATA)
                .update(**CLEARED)
            )
            cleared_records = _clear_typed_words(campaign)
            payers = (
                StatementEntry.objects.filter(campaign=campaign)
                .filter(NAMES_PAYER)
                .update(**PAYER_CLEARED)
            )
            # A mail server's error may quote the donor's address.
            Outbox.objects.filter(pledge__campaign=campaign).exclude(
                last_error=""
            ).update(last_error="")
            if not (count or cleared_records or payers):
                continue
            if count:
                # Names and messages were on the public page: cached copies must go.
                Campaign.objects.filter(pk=campaign.pk).update(version=F("version") + 1)
                pages_changed(campaign.slug, list_too=False)
            Activity.objects.record(
                campaign,
                Activity.Action.DONOR_DATA_PURGED,
                details={
                    "pledges": count,
                    "records": cleared_records,
                    "statement_entries": payers,
                    "retention_days": retention.days,
                },
            )
            pledges += count
            records += cleared_records
            entries += payers
            campaigns += 1
    entries += _clear_unplaced_entries(cutoff)
    return PurgeResult(
        pledges=pledges,
        campaigns=campaigns,
        closed_before=cutoff,
        records=records,
        entries=entries,
    )


def _clear_unplaced_entries(cutoff: datetime) -> int:
    """Statement entries no campaign took, booked before the cutoff: nobody
    will place them now, and their payer's name and title are donor data."""
    return (
        StatementEntry.objects.filter(campaign=None, booked_on__lt=cutoff.date())
        .filter(NAMES_PAYER)
        .update(**PAYER_CLEARED)
    )


def _clear_typed_words(campaign: Campaign) -> int:
    """Drop the typed reason or note from the campaign's records that hold one.
    Such rows come from a volunteer's hand, one by one: few enough to rewrite in
    bounded batches."""
    rows = list(
        Activity.objects.filter(campaign=campaign)
        .filter(HOLDS_TYPED_WORDS)
        .only("pk", "action", "details")
    )
    for row in rows:
        row.details.pop(TYPED_IN_RECORD[row.action], None)
    Activity.objects.bulk_update(rows, ["details"], batch_size=500)
    return len(rows)
