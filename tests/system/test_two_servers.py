"""Two gunicorn servers over one PostgreSQL database and one Redis, as in
production with several app servers: donors pledging on both at once around the
goal, the pages both servers show, and rate limits counted across both. The
Redis is the tests' own (conftest's `redis_for_tests`); the servers write under
this run's key prefix, and only those keys are deleted."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test import TransactionTestCase

from campaigns.models import Campaign
from donations.models import Pledge
from tests.base import make_campaign

ROOT = Path(settings.BASE_DIR)
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
PER_CAMPAIGN_LIMIT = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Donor:
    """One browser: fetches the pledge form (CSRF cookie and token), then posts."""

    def __init__(self, base: str, slug: str) -> None:
        self.base = base
        self.slug = slug
        self.opener = urllib.request.build_opener(NoRedirect)
        with self.opener.open(f"{base}/c/{slug}/give/", timeout=20) as response:
            html = response.read().decode()
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        # The cookie is marked Secure (DEBUG is off); a browser on plain HTTP
        # would not send it back, so this donor does it by hand.
        self.cookie = f"csrftoken={cookies['csrftoken'].value}"

    def pledge(self, amount: str) -> int:
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": self.csrf,
                "amount": "other",
                "other_amount": amount,
                "line": "",
                "donor_name": "Two servers",
                "token": secrets.token_urlsafe(24),
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{self.base}/c/{self.slug}/give/",
            data=body,
            headers={"Cookie": self.cookie},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # keep the 303: it is the answer being checked


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
            self.wait_until_up(base, process)

    def tearDown(self):
        for _, process in self.servers:
            process.send_signal(signal.SIGTERM)
        for _, process in self.servers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def start_server(self) -> tuple[str, subprocess.Popen]:
        port = free_port()
        env = dict(os.environ)
        env.update(
            DEBUG="False",
            SECRET_KEY="two-servers-" + "x" * 40,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="False",
            DATABASE_URL=database_url(),
            REDIS_URL=self.redis.url,
            CACHE_KEY_PREFIX=self.redis.prefix,
            STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
            PORT=str(port),
            WEB_CONCURRENCY="2",
            GUNICORN_LOG_LEVEL="warning",
            LOG_LEVEL="ERROR",
            ZBOR_PLEDGE_RATE_PER_ADDRESS="1000/3600",
            ZBOR_PLEDGE_RATE_PER_CAMPAIGN=f"{PER_CAMPAIGN_LIMIT}/3600",
        )
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [GUNICORN, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
        )
        return f"http://127.0.0.1:{port}", process

    def wait_until_up(self, base: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.assertIsNone(process.poll(), "gunicorn exited")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        self.fail(f"{base} did not start")

    def pledge_at_once(self, slug: str, amount: str, count: int) -> list[int]:
        """`count` donors, alternating between the servers, post at the same moment."""
        donors = [Donor(self.bases[n % 2], slug) for n in range(count)]
        start = threading.Barrier(count)

        def send(donor: Donor) -> int:
            start.wait()
            return donor.pledge(amount)

        with ThreadPoolExecutor(max_workers=count) as pool:
            return list(pool.map(send, donors))

    def page(self, base: str, slug: str) -> str:
        url = f"{base}/c/{slug}/"
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310
            return response.read().decode()

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

    def test_the_rate_limit_counts_pledges_on_both_servers_together(self):
        statuses = self.pledge_at_once("open", "5", PER_CAMPAIGN_LIMIT + 10)
        self.assertEqual(statuses.count(303), PER_CAMPAIGN_LIMIT, statuses)
        self.assertEqual(statuses.count(429), 10, statuses)
        campaign = self.assertTotalsExact(self.open_campaign)
        self.assertEqual(campaign.supporters, PER_CAMPAIGN_LIMIT)
