"""Two gunicorn servers over one PostgreSQL database and one Redis, as in
production with several app servers: donors pledging on both at once around the
goal, the pages both servers show, and rate limits counted across both. The
Redis is the tests' own (conftest's `redis_for_tests`); the servers write under
this run's key prefix, and only those keys are deleted."""

from __future__ import annotations

import threading
import unittest
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test import TransactionTestCase

from bench.serve import Donor, app_env, free_port, start_gunicorn, stop, wait_until_up
from campaigns.models import Campaign
from donations.models import Pledge
from tests.base import make_campaign
from tests.support import served_database_url

PER_CAMPAIGN_LIMIT = 20


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL")
class TwoServersTests(TransactionTestCase):
    @pytest.fixture(autouse=True)
    def _own_redis(self, redis_for_tests):
        self.redis = redis_for_tests
        redis_for_tests.delete_own_keys()
        yield
        redis_for_tests.delete_own_keys()

    def setUp(self):
        self.goal_campaign = make_campaign(
            slug="goal", lines=[("Rent", "100")], max_pledge=Decimal("1000")
        )
        self.open_campaign = make_campaign(
            slug="open", lines=[("Rent", "100000")], stop_at_goal=False
        )
        self.servers = [self.start_server() for _ in range(2)]
        self.bases = [base for base, _ in self.servers]
        for base, process in self.servers:
            wait_until_up(base, process)

    def tearDown(self):
        for _, process in self.servers:
            stop(process)

    def start_server(self):
        port = free_port()
        env = app_env(
            served_database_url(),
            port,
            redis_url=self.redis.url,
            extra={
                "CACHE_KEY_PREFIX": self.redis.prefix,
                "ZBOR_PLEDGE_RATE_PER_ADDRESS": "1000/3600",
                "ZBOR_PLEDGE_RATE_PER_CAMPAIGN": f"{PER_CAMPAIGN_LIMIT}/3600",
            },
        )
        base = f"http://127.0.0.1:{port}"
        return base, start_gunicorn(env, port, workers=2)

    def pledge_at_once(self, slug: str, amount: str, count: int) -> list[int]:
        """`count` donors, alternating between the servers, each with the form
        loaded, post at the same moment."""
        donors = [Donor(self.bases[n % 2]) for n in range(count)]
        for donor in donors:
            donor.form(slug)
        start = threading.Barrier(count)

        def send(donor: Donor) -> int:
            start.wait()
            status, _body = donor.pledge(slug, amount, name="Two servers")
            return status

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(send, donors))

    def page(self, base: str, slug: str) -> str:
        status, html = Donor(base).page(slug)
        self.assertEqual(status, 200)
        return html

    def assertTotalsExact(self, campaign: Campaign) -> Campaign:
        campaign = Campaign.objects.get(pk=campaign.pk)
        sums = Pledge.objects.filter(campaign=campaign).aggregate(
            collected=Sum("received_amount", filter=Q(status="received")),
            promised=Sum("amount", filter=Q(status="pending")),
            supporters=Count("pk", filter=~Q(status="cancelled")),
        )
        self.assertEqual(campaign.collected.amount, sums["collected"] or 0)
        self.assertEqual(campaign.promised.amount, sums["promised"] or 0)
        self.assertEqual(campaign.supporters, sums["supporters"])
        return campaign

    def test_donors_on_both_servers_all_pledge_past_the_goal(self):
        # Goal €100 in pledges of €7: promises never stop a collection, so all
        # 18 are taken (€126 promised), none lost or counted twice, and the
        # campaign stays open until money arrives.
        for base in self.bases:  # both servers cache the page before the rush
            self.assertIn("€0 collected of the €100 goal", self.page(base, "goal"))
        statuses = self.pledge_at_once("goal", "7", 18)
        self.assertEqual(statuses.count(303), 18, statuses)
        campaign = self.assertTotalsExact(self.goal_campaign)
        self.assertEqual(campaign.promised.amount, Decimal("126.00"))
        self.assertEqual(campaign.collected.amount, Decimal("0.00"))
        self.assertEqual(campaign.supporters, 18)
        self.assertIsNone(campaign.closed_at)
        # Right after, both servers show the same, new numbers: nothing
        # collected yet, the promises beside it, fully promised.
        first, second = (self.page(base, "goal") for base in self.bases)
        self.assertIn("€0 collected of the €100 goal", first)
        self.assertIn("Fully promised: €126 on its way", first)
        self.assertEqual(first, second)

    def test_a_pledge_on_one_server_shows_at_once_on_every_worker_of_the_other(self):
        # Every worker of the second server keeps its own copy of the page
        # (many readers, two workers); the first server's pledge must drop
        # them all before its donor is even redirected.
        donor = Donor(self.bases[0])
        donor.form("open")
        for _ in range(20):
            self.assertIn("€0 collected", self.page(self.bases[1], "open"))
        status, _body = donor.pledge("open", "37", name="Two servers")
        self.assertEqual(status, 303)
        for _ in range(20):
            self.assertIn("€37 on its way", self.page(self.bases[1], "open"))

    def test_the_rate_limit_counts_pledges_on_both_servers_together(self):
        statuses = self.pledge_at_once("open", "5", PER_CAMPAIGN_LIMIT + 10)
        self.assertEqual(statuses.count(303), PER_CAMPAIGN_LIMIT, statuses)
        self.assertEqual(statuses.count(429), 10, statuses)
        campaign = self.assertTotalsExact(self.open_campaign)
        self.assertEqual(campaign.supporters, PER_CAMPAIGN_LIMIT)
