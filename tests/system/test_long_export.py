"""A CSV export that streams for longer than gunicorn's worker timeout still
arrives whole: the worker tells gunicorn after each piece that it is making
progress (config/workers.py). gunicorn runs here with a timeout of 1 s, and the
campaign has enough pledges that its file takes several times that."""

from __future__ import annotations

import http.client
import random
import time
import unittest

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import TransactionTestCase, override_settings

from bench.seed import make_export_campaign, make_pledges
from bench.serve import app_env, free_port, start_gunicorn, stop, wait_until_up
from tests.support import served_database_url

PLEDGES = 150_000
TIMEOUT = 1


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL")
class LongExportTests(TransactionTestCase):
    def setUp(self):
        self.campaign = make_export_campaign()
        make_pledges([self.campaign], 0, random.Random(7), self.campaign, PLEDGES)
        self.port = free_port()
        env = app_env(
            served_database_url(),
            self.port,
            extra={"GUNICORN_TIMEOUT": str(TIMEOUT)},
        )
        # Signed in as a superuser, with the server's own SECRET_KEY.
        user = User.objects.create_superuser("root", "root@example.org", "unused")
        with override_settings(SECRET_KEY=env["SECRET_KEY"]):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        self.server = start_gunicorn(env, self.port, workers=1)
        self.addCleanup(stop, self.server)
        wait_until_up(f"http://127.0.0.1:{self.port}", self.server)

    def test_the_file_arrives_whole_however_long_it_streams(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.addCleanup(conn.close)
        started = time.monotonic()
        conn.request(
            "GET",
            f"/desk/c/{self.campaign.pk}/pledges.csv",
            headers={"Cookie": self.cookie},
        )
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        body = response.read()  # raises IncompleteRead if the stream is cut off
        took = time.monotonic() - started
        lines = body.decode("utf-8-sig").splitlines()
        self.assertEqual(len(lines), PLEDGES + 1)  # and the header
        self.assertTrue(body.endswith(b"\n"))
        # Otherwise this would prove nothing: the file took longer than the
        # worker may go without checking in.
        self.assertGreater(took, 2 * TIMEOUT)
