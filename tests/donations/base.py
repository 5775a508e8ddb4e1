"""Helpers for the donations tests: dating pledges back, and the check that the
stored totals equal what the pledges add up to."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations.models import Pledge, Totals
from tests.base import ZborTestCase

# Pledging and receiving live in tests/support.py; many modules import them here.
from tests.support import pledge, receive  # noqa: F401


def made_days_ago(made: Pledge, days: float) -> None:
    """Date a pledge back, as if it had been made `days` ago."""
    Pledge.objects.filter(pk=made.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def fresh(campaign: Campaign) -> Campaign:
    return Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)


class DonationsTestCase(ZborTestCase):
    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        """Stored totals == totals recomputed from the pledges; returns the campaign."""
        campaign = fresh(campaign)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        return campaign

    def records(self, action: str, campaign: Campaign | None = None) -> list[Activity]:
        """The campaign's records of `action`, oldest first."""
        return list(
            Activity.objects.filter(
                campaign=campaign or self.campaign, action=action
            ).order_by("created_at", "id")
        )
