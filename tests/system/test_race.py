"""Many donors and volunteers at once, on PostgreSQL for real: the campaign's
row lock is what keeps the totals exact and lets exactly one receipt close a
campaign at its goal (SQLite serialises writers anyway, so skip it there)."""

import threading
import time
import unittest
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import TransactionTestCase
from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations.models import Pledge, Totals
from donations.pledging import (
    CampaignNotAccepting,
    Donor,
    expire_pledges,
    pledge_receive,
    pledge_transfer_sent,
)
from tests.base import make_campaign
from tests.support import at_once, pledge, receive

THREADS = 50
VOLUNTEERS = 30


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class SimultaneousPledgesTests(TransactionTestCase):
    def run_donors(
        self, campaign: Campaign, amount: str, lines=None, same_token: bool = False
    ) -> dict:
        outcome = {"accepted": 0, "refused": 0}
        lock = threading.Lock()

        def donor(n: int) -> None:
            try:
                pledge(
                    campaign,
                    amount,
                    line=lines[n % len(lines)] if lines else None,
                    donor=Donor(name=f"Donor {n}"),
                    token=f"race-{0 if same_token else n:04d}-token",
                )
                key = "accepted"
            except CampaignNotAccepting:
                key = "refused"
            with lock:
                outcome[key] += 1

        outcome["errors"] = at_once(THREADS, donor)
        return outcome

    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        return campaign

    def test_promises_past_the_goal_are_all_accepted(self):
        campaign = make_campaign(slug="race")
        pledge(campaign, "2210")
        outcome = self.run_donors(campaign, "60")
        self.assertEqual(outcome["errors"], [])
        # Promises never stop a collection: every donor is accepted.
        self.assertEqual((outcome["accepted"], outcome["refused"]), (THREADS, 0))
        campaign = self.assertTotalsExact(campaign)
        self.assertEqual(campaign.promised.amount, Decimal("2210") + 60 * THREADS)
        self.assertEqual(campaign.supporters, THREADS + 1)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)

    def test_simultaneous_earmarks_keep_every_line_exact(self):
        campaign = make_campaign(slug="race-lines")
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


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class SimultaneousReceiptsTests(TransactionTestCase):
    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        return campaign

    def test_exactly_one_receipt_closes_the_campaign(self):
        campaign = make_campaign(slug="race-receipts")
        volunteer = User.objects.create_user("viktor", is_staff=True)
        lines = list(campaign.lines.all())
        # 30 × €150 = €4 500 promised; the goal (€2 500) is crossed by the 17th
        # receipt (16 × 150 = 2 400), whichever it is.
        pledges = [
            pledge(campaign, "150", line=lines[n % 2] if n % 3 else None)
            for n in range(VOLUNTEERS)
        ]

        errors = at_once(
            VOLUNTEERS,
            lambda n: pledge_receive(
                pledge=pledges[n], amount=Decimal("150"), by=volunteer
            ),
        )

        self.assertEqual(errors, [])
        campaign = self.assertTotalsExact(campaign)
        self.assertEqual(campaign.collected.amount, Decimal("4500.00"))
        self.assertEqual(campaign.promised.amount, Decimal("0.00"))
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        self.assertEqual(
            Pledge.objects.filter(campaign=campaign, status="received").count(),
            VOLUNTEERS,
        )
        (closing,) = Activity.objects.filter(
            campaign=campaign, action=Activity.Action.CLOSED
        )
        # Closed by the receipt that crossed the goal, not a later one.
        self.assertEqual(closing.details["collected"], "2550.00")
        self.assertEqual(closing.details["promised"], "1950.00")
        self.assertEqual(
            Activity.objects.filter(
                campaign=campaign, action=Activity.Action.PLEDGE_RECEIVED
            ).count(),
            VOLUNTEERS,
        )
        self.assertFalse(
            Activity.objects.filter(
                campaign=campaign, action=Activity.Action.REOPENED
            ).exists()
        )

    def test_no_pledge_is_stored_once_a_receipt_closed_the_campaign(self):
        campaign = make_campaign(slug="race-close")
        closing = pledge(campaign, "2500")
        giving, closed = threading.Event(), threading.Event()
        lock = threading.Lock()
        outcome = {"accepted": 0, "refused": 0, "late": []}
        # Far more than donors can give before the receipt commits: the test
        # fails rather than loops if the campaign never closes.
        tries = 500
        # Each donor has read the campaign page once, and keeps giving.
        pages = [
            Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
            for _ in range(THREADS)
        ]

        def work(n: int) -> None:
            if n == 0:
                # The money arrives while donors are busy giving.
                giving.wait(timeout=30)
                pledge_receive(pledge=closing, amount=Decimal("2500"), by=None)
                closed.set()  # committed: the receipt ran in autocommit
                return
            for attempt in range(tries):
                after_closing = closed.is_set()
                try:
                    pledge(
                        pages[n],
                        "5",
                        token=f"donor-{n:03d}-{attempt:03d}",
                    )
                except CampaignNotAccepting:
                    with lock:
                        outcome["refused"] += 1
                    return
                with lock:
                    outcome["accepted"] += 1
                    if after_closing:
                        outcome["late"].append((n, attempt))
                    if outcome["accepted"] >= 2 * THREADS:
                        giving.set()

        errors = at_once(THREADS, work)

        self.assertEqual(errors, [])
        self.assertEqual(outcome["late"], [], "a pledge was stored after the closing")
        campaign = self.assertTotalsExact(campaign)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        self.assertEqual(campaign.collected.amount, Decimal("2500.00"))
        # Every pledge stored was one a donor was told was accepted.
        self.assertEqual(
            Pledge.objects.filter(campaign=campaign).count(), 1 + outcome["accepted"]
        )
        self.assertEqual(campaign.promised.amount, 5 * outcome["accepted"])
        # Every donor kept giving until the closing refused them.
        self.assertEqual(outcome["refused"], THREADS - 1)
        # What the closing saw promised is all that ever was: no pledge counted
        # after it.
        (record,) = Activity.objects.filter(
            campaign=campaign, action=Activity.Action.CLOSED
        )
        self.assertEqual(Decimal(record.details["promised"]), campaign.promised.amount)


def wait_for_a_lock_wait(seconds: float = 10) -> None:
    """Until another connection to this database waits on a lock."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the view is read once unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("nothing waited on a lock")


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class ExpiryMeetsTheDeskTests(TransactionTestCase):
    def test_what_the_desk_did_while_the_job_waited_for_the_lock_has_its_say(self):
        """The job finds five due pledges, then waits for the campaign's row
        while a volunteer holds it: one of the five is received, another's
        donor says the transfer was sent, and the campaign's period grows
        past the age of two more. The job expires only the one left due."""
        campaign = make_campaign(slug="race-expiry", pledge_expiry_days=14)
        made = [pledge(campaign, "10") for _ in range(5)]
        # Days old: the second is due after 30 days but not after 30 + 7.
        for made_pledge, days in zip(made, (20, 35, 20, 20, 40), strict=True):
            Pledge.objects.filter(pk=made_pledge.pk).update(
                created_at=timezone.now() - timedelta(days=days)
            )
        holding, expired = threading.Event(), {}

        def volunteer() -> None:
            try:
                with transaction.atomic():
                    Campaign.objects.select_for_update(no_key=True).get(pk=campaign.pk)
                    holding.set()
                    wait_for_a_lock_wait()
                    receive(made[0])
                    pledge_transfer_sent(pledge=made[1])
                    # 30 days now: the 20-day-old ones are no longer due,
                    # the 35-day-old one has 7 more.
                    Campaign.objects.filter(pk=campaign.pk).update(
                        pledge_expiry_days=30
                    )
            finally:
                connections.close_all()

        def job() -> None:
            try:
                holding.wait(timeout=10)
                expired["count"] = expire_pledges()
            finally:
                connections.close_all()

        threads = [threading.Thread(target=volunteer), threading.Thread(target=job)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        # Only the 40-day-old pledge is past its period.
        self.assertEqual(expired, {"count": 1})
        statuses = dict(Pledge.objects.values_list("pk", "status"))
        self.assertEqual(
            [statuses[p.pk] for p in made],
            ["received", "pending", "pending", "pending", "cancelled"],
        )
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        self.assertEqual(campaign.promised.amount, Decimal("30.00"))
        (record,) = Activity.objects.filter(
            campaign=campaign, action=Activity.Action.PLEDGES_EXPIRED
        )
        self.assertEqual(record.details["references"], [made[4].reference])
