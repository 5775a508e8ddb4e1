"""Forgetting donors: what Zbor keeps about them ends with the retention period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.cache import pages_changed
from campaigns.models import Activity, Campaign
from donations.models import Pledge

# A pledge still holds donor data if any of these is not empty.
HOLDS_DONOR_DATA = ~Q(donor_name="") | ~Q(email="") | ~Q(message="")


@dataclass(frozen=True)
class PurgeResult:
    pledges: int
    campaigns: int
    closed_before: datetime


def purge_donor_data(
    *, retention: timedelta, now: datetime | None = None
) -> PurgeResult:
    """Clear donors' names, emails and messages in campaigns closed longer than
    `retention` ago (closed by record, or past their deadline). Amounts, totals,
    reference codes and the activity log stay as they are. One Activity row per
    campaign purged; running it again changes nothing. One transaction per
    campaign, under its row lock, so it never races a volunteer's change.
    """
    cutoff = (now or timezone.now()) - retention
    campaign_ids = (
        Campaign.objects.closed_before(cutoff)
        .filter(pledges__in=Pledge.objects.filter(HOLDS_DONOR_DATA))
        .values_list("pk", flat=True)
        .distinct()
    )
    pledges = campaigns = 0
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
                .update(donor_name="", email="", message="")
            )
            if not count:
                continue
            # Names and messages were on the public page: cached copies must go.
            Campaign.objects.filter(pk=campaign.pk).update(version=F("version") + 1)
            pages_changed(campaign.slug)
            Activity.objects.create(
                campaign=campaign,
                action=Activity.Action.DONOR_DATA_PURGED,
                details={"pledges": count, "retention_days": retention.days},
            )
            pledges += count
            campaigns += 1
    return PurgeResult(pledges=pledges, campaigns=campaigns, closed_before=cutoff)
