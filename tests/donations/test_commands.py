"""The periodic jobs: expire_pledges (set-based, in batches) and
close_ended_campaigns, each idempotent."""

import threading
import unittest
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Activity, BudgetLine, Campaign
from donations import pledging
from donations.models import Pledge, Totals
from donations.pledging import campaign_close, expire_pledges
from tests.base import make_campaign
from tests.donations.base import (
    DonationsTestCase,
    fresh,
    made_days_ago,
    pledge,
    receive,
)

A = Activity.Action


def run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def bulk_pending(campaign: Campaign, count: int, *, days_ago: float, prefix: str):
    """`count` pending pledges made `days_ago`, in one insert (every third one
    earmarked to a line), then one fix-up of the stored totals to what they add
    up to, as pledge_create would have moved them one by one. Returns their sum."""
    lines = list(campaign.lines.all())
    amounts = [Decimal("1.00") + Decimal(n % 97) / 100 for n in range(count)]
    Pledge.objects.bulk_create(
        Pledge(
            campaign=campaign,
            line=lines[n % len(lines)] if n % 3 == 0 else None,
            amount=Money(amount, campaign.currency),
            reference=f"{prefix}{n:07d}",
            access_key=f"{prefix}-{n}",
        )
        for n, amount in enumerate(amounts)
    )
    # bulk_create dates them now (auto_now_add): date them back.
    Pledge.objects.filter(campaign=campaign).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    totals = Pledge.objects.totals_for(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        promised=campaign.money(totals.promised), supporters=totals.supporters
    )
    for line in lines:
        BudgetLine.objects.filter(pk=line.pk).update(
            earmarked=campaign.money(totals.earmarked[line.pk])
        )
    return sum(amounts)


class ExpirePledgesTests(DonationsTestCase):
    def test_it_cancels_pending_pledges_past_the_expiry_period_once(self):
        old = pledge(self.campaign, "2500", self.rent)
        made_days_ago(old, 14 + 1 / 1440)
        recent = pledge(self.campaign, "5")
        received = pledge(self.campaign, "7")
        made_days_ago(received, 30)
        receive(received)

        self.assertEqual(run("expire_pledges"), "1 pledges expired.\n")
        old.refresh_from_db()
        self.assertEqual(old.status, Pledge.Status.CANCELLED)
        self.assertEqual(old.cancel_reason, "expired")
        self.assertIsNone(old.cancelled_by)
        self.assertEqual(Pledge.objects.get(pk=recent.pk).status, "pending")
        self.assertEqual(Pledge.objects.get(pk=received.pk).status, "received")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("5.00"))
        self.assertEqual(campaign.collected.amount, Decimal("7.00"))
        self.assertEqual(campaign.lines.get(pk=self.rent.pk).earmarked.amount, 0)
        (record,) = self.records(A.PLEDGES_EXPIRED)
        self.assertEqual(record.details["references"], [old.reference])
        self.assertEqual(record.details["pledged"], "2500.00")
        self.assertIsNone(record.actor)

        self.assertEqual(run("expire_pledges"), "0 pledges expired.\n")
        self.assertEqual(len(self.records(A.PLEDGES_EXPIRED)), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_pledge_just_inside_its_period_stays(self):
        made = pledge(self.campaign, "5")
        made_days_ago(made, 14 - 1 / 1440)
        self.assertEqual(expire_pledges(), 0)
        self.assertEqual(self.records(A.PLEDGES_EXPIRED), [])

    def test_each_campaign_has_its_own_period(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(pledge_expiry_days=3)
        other = make_campaign(slug="other")
        made = pledge(self.campaign, "5")
        kept = pledge(other, "5")
        later = timezone.now() + timedelta(days=3, seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            self.assertEqual(run("expire_pledges"), "1 pledges expired.\n")
        made.refresh_from_db()
        kept.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.CANCELLED)
        self.assertEqual(kept.status, Pledge.Status.PENDING)

    def test_a_fully_promised_campaign_is_open_again_once_the_promise_expires(self):
        made = pledge(self.campaign, "2500")
        self.assertEqual(fresh(self.campaign).state(), Campaign.State.FULLY_PROMISED)
        self.assertTrue(fresh(self.campaign).is_accepting_pledges())  # all along
        made_days_ago(made, 15)
        run("expire_pledges")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.state(), Campaign.State.OPEN)
        self.assertEqual(campaign.supporters, 0)

    def test_expiring_never_closes_or_reopens_a_campaign(self):
        receive(pledge(self.campaign, "2500"))
        late = pledge(make_campaign(slug="other"), "5")
        made_days_ago(late, 15)
        expire_pledges()
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        self.assertEqual(len(self.records(A.CLOSED)), 1)


class ExpireInBulkTests(DonationsTestCase):
    """2 500 pending pledges over 3 campaigns."""

    SIZES = {"big": 1200, "middle": 800, "small": 500}

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.campaigns = {}
        cls.pledged = {}
        for prefix, (slug, size) in zip("BMS", cls.SIZES.items(), strict=True):
            campaign = make_campaign(slug=slug)
            cls.campaigns[slug] = campaign
            cls.pledged[slug] = bulk_pending(campaign, size, days_ago=20, prefix=prefix)
        # What must stay: a recent promise and money received on an old one.
        big = cls.campaigns["big"]
        cls.recent = pledge(big, "11")
        cls.received = pledge(big, "13", big.lines.first())
        made_days_ago(cls.received, 30)
        receive(cls.received)

    def test_it_expires_them_all_and_moves_the_totals_exactly(self):
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(expire_pledges(), 2500)
        # Set-based: the queries do not grow with the pledges (a few per batch).
        self.assertLess(len(queries), 80)
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                after = self.assertTotalsExact(campaign)
                expected_promised = Decimal("11.00") if slug == "big" else 0
                self.assertEqual(after.promised.amount, expected_promised)
                self.assertEqual(after.supporters, 2 if slug == "big" else 0)
                for line in after.lines.all():
                    self.assertEqual(
                        line.earmarked.amount, line.earmarked_collected.amount
                    )
        big = fresh(self.campaigns["big"])
        self.assertEqual(big.collected.amount, Decimal("13.00"))
        self.assertEqual(Pledge.objects.get(pk=self.recent.pk).status, "pending")
        self.assertEqual(Pledge.objects.get(pk=self.received.pk).status, "received")
        self.assertEqual(Pledge.objects.filter(cancel_reason="expired").count(), 2500)

    def test_one_record_per_batch_naming_every_pledge_once(self):
        # 1 000 a batch: "big" is in two batches, "middle" and "small" in one.
        expire_pledges(batch_size=1000)
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                records = self.records(A.PLEDGES_EXPIRED, campaign)
                size = self.SIZES[slug]
                self.assertEqual(len(records), 2 if slug == "big" else 1)
                references = [ref for r in records for ref in r.details["references"]]
                self.assertEqual(len(references), size)
                self.assertEqual(
                    set(references),
                    set(
                        Pledge.objects.filter(
                            campaign=campaign, cancel_reason="expired"
                        ).values_list("reference", flat=True)
                    ),
                )
                self.assertEqual(
                    sum(Decimal(r.details["pledged"]) for r in records),
                    self.pledged[slug],
                )

    def test_it_is_idempotent(self):
        self.assertEqual(expire_pledges(), 2500)
        records = Activity.objects.filter(action=A.PLEDGES_EXPIRED).count()
        versions = {slug: fresh(c).version for slug, c in self.campaigns.items()}
        self.assertEqual(expire_pledges(), 0)
        self.assertEqual(run("expire_pledges"), "0 pledges expired.\n")
        self.assertEqual(
            Activity.objects.filter(action=A.PLEDGES_EXPIRED).count(), records
        )
        for slug, campaign in self.campaigns.items():
            self.assertTotalsExact(campaign)
            self.assertEqual(fresh(campaign).version, versions[slug])

    def test_batch_size_sets_how_many_each_transaction_takes(self):
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(expire_pledges(batch_size=300), 2500)
        expiring = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('UPDATE "donations_pledge"')
        ]
        # 2 500 pledges, 300 at a time, across the three campaigns.
        self.assertEqual(len(expiring), 9)
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                records = self.records(A.PLEDGES_EXPIRED, campaign)
                sizes = [len(r.details["references"]) for r in records]
                self.assertTrue(all(size <= 300 for size in sizes), sizes)
                self.assertEqual(sum(sizes), self.SIZES[slug])
                self.assertTotalsExact(campaign)

    def test_a_batch_spans_campaigns_and_moves_each_ones_totals_once(self):
        versions = {slug: fresh(c).version for slug, c in self.campaigns.items()}
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(expire_pledges(batch_size=3000), 2500)
        statements = [q["sql"] for q in queries.captured_queries]
        self.assertEqual(
            len([sql for sql in statements if sql.startswith('UPDATE "donations')]),
            1,
        )
        self.assertEqual(
            len([sql for sql in statements if "FOR NO KEY UPDATE" in sql]),
            1 if connection.vendor == "postgresql" else 0,
        )
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                self.assertEqual(len(self.records(A.PLEDGES_EXPIRED, campaign)), 1)
                self.assertEqual(fresh(campaign).version, versions[slug] + 1)
                self.assertTotalsExact(campaign)

    def test_each_campaign_moves_once_however_its_pledges_interleave(self):
        # Made in turn: big, middle, small, big, … so that taking the oldest
        # anywhere would reach every campaign in every batch.
        base = timezone.now() - timedelta(days=20)
        pledges = list(
            Pledge.objects.filter(status="pending", created_at__lt=base + timedelta(1))
        )
        for made in pledges:
            made.created_at = base + timedelta(seconds=3 * int(made.reference[1:]))
        Pledge.objects.bulk_update(pledges, ["created_at"], batch_size=500)
        versions = {slug: fresh(c).version for slug, c in self.campaigns.items()}
        self.assertEqual(expire_pledges(batch_size=1000), 2500)
        # "big" (1 200) needs two batches; the others one each.
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                moves = 2 if slug == "big" else 1
                self.assertEqual(fresh(campaign).version, versions[slug] + moves)
                records = self.records(A.PLEDGES_EXPIRED, campaign)
                self.assertEqual(len(records), moves)
                self.assertTotalsExact(campaign)

    def test_oldest_first_within_a_campaign(self):
        small = self.campaigns["small"]
        Pledge.objects.filter(campaign=small, reference="S0000499").update(
            created_at=timezone.now() - timedelta(days=40)
        )
        expire_pledges(batch_size=100)
        first, *_others, last = self.records(A.PLEDGES_EXPIRED, small)
        self.assertIn("S0000499", first.details["references"])
        self.assertNotIn("S0000499", last.details["references"])


class CloseEndedCampaignsTests(DonationsTestCase):
    def test_it_records_the_closing_at_the_deadline_once(self):
        deadline = timezone.now() - timedelta(minutes=5)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        self.assertEqual(run("close_ended_campaigns"), "1 campaigns closed.\n")
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.closed_at, deadline)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.DEADLINE)
        self.assertIsNone(campaign.closed_by)
        (record,) = self.records(A.CLOSED)
        self.assertEqual(record.details["reason"], "deadline")
        self.assertEqual(record.created_at, deadline)
        self.assertEqual(run("close_ended_campaigns"), "0 campaigns closed.\n")
        self.assertEqual(len(self.records(A.CLOSED)), 1)

    def test_it_leaves_open_and_already_closed_campaigns_alone(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() + timedelta(days=1)
        )
        by_hand = make_campaign(
            slug="by-hand", deadline=timezone.now() - timedelta(days=1)
        )
        campaign_close(campaign=by_hand, reason="manual", by=self.organizer)
        self.assertEqual(run("close_ended_campaigns"), "0 campaigns closed.\n")
        self.assertIsNone(fresh(self.campaign).closed_at)
        self.assertEqual(fresh(by_hand).closed_reason, "manual")

    def test_several_campaigns_in_one_run(self):
        for n in range(3):
            make_campaign(slug=f"ended-{n}", deadline=timezone.now() - timedelta(n + 1))
        self.assertEqual(run("close_ended_campaigns"), "3 campaigns closed.\n")
        self.assertEqual(run("close_ended_campaigns"), "0 campaigns closed.\n")
        self.assertEqual(Activity.objects.filter(action=A.CLOSED).count(), 3)


@unittest.skipUnless(connection.vendor == "postgresql", "threads need PostgreSQL")
class ExpireOnTwoConnectionsTests(TransactionTestCase):
    """The job's default: two connections taking the batches in turn. Committed
    data (TransactionTestCase), since each thread reads through its own
    connection."""

    SIZES = {"big": 1200, "middle": 800, "small": 500}

    def setUp(self):
        self.campaigns = {slug: make_campaign(slug=slug) for slug in self.SIZES}
        for prefix, (slug, size) in zip("BMS", self.SIZES.items(), strict=True):
            bulk_pending(self.campaigns[slug], size, days_ago=20, prefix=prefix)

    def backends(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    def test_both_connections_work_and_every_total_stays_exact(self):
        before = self.backends()
        threads = set()
        real = pledging._expire_batch

        def expire_batch(*args, **kwargs):
            threads.add(threading.get_ident())
            return real(*args, **kwargs)

        # Batches of 1 000: "big" alone (in two), "middle", then "small".
        with mock.patch.object(pledging, "_expire_batch", expire_batch):
            self.assertEqual(expire_pledges(batch_size=1000, workers=2), 2500)
        self.assertEqual(len(threads), 2)
        for slug, campaign in self.campaigns.items():
            with self.subTest(slug):
                after = Campaign.objects.get(pk=campaign.pk)
                self.assertEqual(Totals.stored(after), Pledge.objects.totals_for(after))
                self.assertEqual(after.promised.amount, 0)
                records = Activity.objects.filter(
                    campaign=campaign, action=Activity.Action.PLEDGES_EXPIRED
                )
                self.assertEqual(records.count(), 2 if slug == "big" else 1)
        # Each thread closed its connection.
        self.assertEqual(self.backends(), before)
        self.assertEqual(run("expire_pledges"), "0 pledges expired.\n")
