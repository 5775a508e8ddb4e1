"""A request stuck behind a long-held row lock gives up before gunicorn's
timeout with 503 and Retry-After, instead of a killed worker and a 500; the
periodic jobs wait longer (PostgreSQL only: SQLite has no row locks)."""

from __future__ import annotations

import time
import unittest

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse

from config.jobs import use_job_limits
from donations.models import Pledge
from tests.base import make_campaign

GUNICORN_TIMEOUT_S = 30


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class LockTimeoutTests(TransactionTestCase):
    def setUp(self):
        # A fresh connection, with the request limits of the settings (an
        # earlier test may have run a job on this one).
        connection.close()
        self.campaign = make_campaign()
        self.client.force_login(
            User.objects.create_superuser("root", "root@example.org", "pw")
        )
        self.client.raise_request_exception = False

    def hold_campaign_lock(self) -> psycopg.Connection:
        """Another session holds the campaign's row, as a job in a long
        transaction would."""
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("options", None)
        other = psycopg.connect(**params)
        other.execute(
            "SELECT id FROM campaigns_campaign WHERE id = %s FOR UPDATE",
            [self.campaign.pk],
        )
        self.addCleanup(other.close)
        return other

    def test_a_desk_write_waiting_on_a_lock_answers_503_with_retry_after(self):
        other = self.hold_campaign_lock()
        started = time.monotonic()
        response = self.client.post(
            reverse("donations:desk_gift", args=[self.campaign.pk]),
            {"amount": "50", "line": "", "note": "cash"},
        )
        waited = time.monotonic() - started
        other.rollback()
        self.assertEqual(response.status_code, 503)
        self.assertTrue(response.headers["Retry-After"].isdigit())
        self.assertLess(waited, GUNICORN_TIMEOUT_S / 2)
        self.assertFalse(Pledge.objects.exists())

    def test_jobs_wait_longer_than_requests(self):
        def limit() -> str:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('lock_timeout')")
                return cursor.fetchone()[0]

        self.assertEqual(limit(), "5s")
        use_job_limits()
        self.assertEqual(limit(), f"{settings.DB_JOB_LOCK_TIMEOUT_MS // 1000}s")
