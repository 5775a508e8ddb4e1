"""Many donors at once, on PostgreSQL for real: the row lock is what keeps the
goal and the totals exact (SQLite serialises writers anyway, so skip it there)."""

import threading
import unittest
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import TransactionTestCase

from campaigns.models import Campaign
from donations.models import Pledge, Totals
from donations.pledging import CampaignNotAccepting, Donor, pledge_create
from tests.base import make_campaign

THREADS = 50


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class SimultaneousPledgesTests(TransactionTestCase):
    def run_donors(
        self, campaign: Campaign, amount: str, lines=None, same_token: bool = False
    ) -> dict:
        barrier = threading.Barrier(THREADS)
        outcome = {"accepted": 0, "refused": 0, "errors": []}
        lock = threading.Lock()

        def donor(n: int) -> None:
            try:
                barrier.wait(timeout=30)
                pledge_create(
                    campaign=campaign,
                    line=lines[n % len(lines)] if lines else None,
                    amount=Decimal(amount),
                    donor=Donor(name=f"Donor {n}"),
                    submission_token=f"race-{0 if same_token else n:04d}-token",
                )
                key = "accepted"
            except CampaignNotAccepting:
                key = "refused"
            except Exception as error:  # noqa: BLE001 - reported below
                with lock:
                    outcome["errors"].append(repr(error))
                return
            finally:
                connections.close_all()
            with lock:
                outcome[key] += 1

        threads = [threading.Thread(target=donor, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return outcome

    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        return campaign

    def test_exactly_one_pledge_crosses_the_goal_and_none_follows(self):
        campaign = make_campaign(slug="race")
        pledge_create(
            campaign=campaign,
            line=None,
            amount=Decimal("2210"),
            donor=Donor(),
            submission_token=None,
        )
        outcome = self.run_donors(campaign, "60")
        self.assertEqual(outcome["errors"], [])
        # 2210 + 4 × 60 = 2450 < 2500; the fifth pledge crosses (2510).
        self.assertEqual(outcome["accepted"], 5)
        self.assertEqual(outcome["refused"], THREADS - 5)

        campaign = self.assertTotalsExact(campaign)
        goal = campaign.goal.amount
        raised = Decimal(0)
        crossings = 0
        for made in Pledge.objects.filter(campaign=campaign).order_by("id"):
            self.assertLess(raised, goal, "a pledge was accepted after the goal")
            raised += made.amount.amount
            crossings += raised >= goal
        self.assertEqual(crossings, 1)
        self.assertEqual(campaign.raised.amount, Decimal("2510.00"))
        self.assertEqual(campaign.supporters, 6)

    def test_simultaneous_earmarks_keep_every_line_exact(self):
        campaign = make_campaign(slug="race-lines")
        Campaign.objects.filter(pk=campaign.pk).update(stop_at_goal=False)
        lines = list(campaign.lines.all())
        outcome = self.run_donors(campaign, "7.77", lines=lines)
        self.assertEqual(outcome["errors"], [])
        self.assertEqual(outcome["accepted"], THREADS)
        campaign = self.assertTotalsExact(campaign)
        self.assertEqual(campaign.promised.amount, Decimal("7.77") * THREADS)

    def test_one_form_posted_by_many_threads_at_once_makes_one_pledge(self):
        campaign = make_campaign(slug="race-token")
        outcome = self.run_donors(campaign, "10", same_token=True)
        self.assertEqual(outcome["errors"], [])
        self.assertEqual(outcome["accepted"], THREADS)  # each got the same pledge
        self.assertEqual(Pledge.objects.filter(campaign=campaign).count(), 1)
        campaign = self.assertTotalsExact(campaign)
        self.assertEqual(campaign.promised.amount, Decimal("10.00"))
