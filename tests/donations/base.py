"""Helpers for the donations tests: pledging in one line, and the check that the
stored totals equal what the pledges add up to."""

from __future__ import annotations

from decimal import Decimal

from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge, Totals
from donations.pledging import Donor, pledge_create
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


def fresh(campaign: Campaign) -> Campaign:
    return Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)


class DonationsTestCase(ZborTestCase):
    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        """Stored totals == totals recomputed from the pledges; returns the campaign."""
        campaign = fresh(campaign)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        return campaign
