"""Helpers for the donations tests: pledging and receiving in one line, and the
check that the stored totals equal what the pledges add up to."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from campaigns.models import Activity, BudgetLine, Campaign
from donations.models import Pledge, Totals
from donations.pledging import Donor, pledge_create, pledge_receive
from tests.base import ZborTestCase


def pledge(
    campaign: Campaign,
    amount: str,
    line: BudgetLine | None = None,
    *,
    donor: Donor | None = None,
    token: str | None = None,
    **kwargs,
) -> Pledge:
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
