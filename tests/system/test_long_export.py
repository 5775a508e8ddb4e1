"""A CSV export that streams for longer than gunicorn's worker timeout still
arrives whole: the worker tells gunicorn after each piece that it is making
progress (config/workers.py). gunicorn runs here with a timeout of 1 s, and the
download is read at a donor's phone's pace (a small receive window, a little at
a time), so the file takes several times the timeout however fast the server."""

from __future__ import annotations

import http.client
import random
import socket
import time
import unittest

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import TransactionTestCase, override_settings

from bench.seed import make_export_campaign, make_pledges
from bench.serve import app_env, free_port, start_gunicorn, stop, wait_until_up
from tests.support import served_database_url

PLEDGES = 100_000
TIMEOUT = 1
# About 1.6 MB/s: the 10 MB file takes 6 s or more, of which at least 3 s
# after the server has filled its socket's buffers (4 MB at most here).
READ_BYTES = 32 * 1024
READ_PAUSE = 0.02


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
            self.client.force_login(user)
        session_key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
        self.server = start_gunicorn(env, self.port, workers=1)
        self.addCleanup(stop, self.server)
        wait_until_up(f"http://127.0.0.1:{self.port}", self.server)

    def test_the_file_arrives_whole_however_long_it_streams(self):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READ_BYTES)
        sock.settimeout(120)
        sock.connect(("127.0.0.1", self.port))
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        conn.sock = sock
        self.addCleanup(conn.close)
        started = time.monotonic()
        conn.request(
            "GET",
            f"/desk/c/{self.campaign.pk}/pledges.csv",
            headers={"Cookie": self.cookie},
        )
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        pieces = []
        # read() raises IncompleteRead if the stream is cut off.
        while piece := response.read(READ_BYTES):
            pieces.append(piece)
            time.sleep(READ_PAUSE)
        body = b"".join(pieces)
        took = time.monotonic() - started
        lines = body.decode("utf-8-sig").splitlines()
        self.assertEqual(len(lines), PLEDGES + 1)  # and the header
        self.assertTrue(body.endswith(b"\n"))
        # Otherwise this would prove nothing: the file took longer than the
        # worker may go without checking in.
        self.assertGreater(took, 3 * TIMEOUT)
