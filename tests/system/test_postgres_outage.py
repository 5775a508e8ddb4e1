"""PostgreSQL restarts while donors pledge: 503 with Retry-After, never 500, the
app recovers by itself, and every pledge acknowledged to a donor is stored.

The test starts its own throwaway cluster (initdb into a temporary folder, on a
free port), migrates it, serves the app on it with gunicorn (2 workers,
persistent connections with health checks, as in production), and stops and
starts the cluster while client threads pledge, for OUTAGE_SECONDS.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from bench.serve import REPO, app_env, free_port, start_gunicorn, stop, wait_until_up
from bench.serve import Donor as Browser

SLUG = "outage"
CLIENTS = 4
OUTAGE_SECONDS = 3
RECOVERY_LIMIT_SECONDS = 5


def find_initdb() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return found[-1] if found else shutil.which("initdb")


@dataclass
class Outcome:
    started: float
    ended: float
    step: str  # "form" or "pledge"
    status: int  # 0: no HTTP answer at all
    retry_after: str | None = None
    access_key: str | None = None


class Cluster:
    """A PostgreSQL cluster of our own in a temporary folder."""

    def __init__(self, initdb: str):
        self.bin = Path(initdb).parent
        self.dir = Path(tempfile.mkdtemp(prefix="zbor-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = (
            ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        )
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own fixed commands
            [*self.as_postgres, *args],
            check=True,
            capture_output=True,
            timeout=60,
            cwd=self.dir,
        )

    def init(self) -> None:
        self.run(
            str(self.bin / "initdb"),
            "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.dir / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"
        )

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Donor(threading.Thread):
    """Loads the pledge form and sends it, again and again, recording answers."""

    def __init__(self, port: int, stop: threading.Event, outcomes: list[Outcome]):
        super().__init__(daemon=True)
        self.browser = Browser(f"http://127.0.0.1:{port}", timeout=20)
        self.stop, self.outcomes = stop, outcomes

    def step(self, name: str, send) -> int:
        """Record one request's answer (status 0: no HTTP answer at all)."""
        started = time.monotonic()
        try:
            status, _body = send()
        except OSError:
            self.outcomes.append(Outcome(started, time.monotonic(), name, 0))
            return 0
        location = self.browser.location
        key = (
            location.rstrip("/").rsplit("/", 1)[-1] if "/thanks/" in location else None
        )
        self.outcomes.append(
            Outcome(
                started,
                time.monotonic(),
                name,
                status,
                self.browser.headers.get("retry-after"),
                key,
            )
        )
        return status

    def run(self) -> None:
        while not self.stop.is_set():
            if self.step("form", lambda: self.browser.form(SLUG)) != 200:
                time.sleep(0.1)
                continue
            self.step("pledge", lambda: self.browser.pledge(SLUG, "10"))


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "runs in the PostgreSQL pass")
@unittest.skipUnless(find_initdb(), "PostgreSQL's initdb is not installed")
class PostgresOutageTests(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(find_initdb())
        self.addCleanup(self.cluster.remove)
        self.cluster.init()
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE zbor")
        self.port = free_port()
        self.env = app_env(
            self.cluster.url("zbor"),
            self.port,
            extra={"DB_CONN_MAX_AGE": "600", "DB_CONNECT_TIMEOUT": "2"},
        )
        # One Django start for both: migrate, then the campaign donors give to.
        self.manage(
            "shell",
            "-c",
            "from django.core.management import call_command; "
            "from tests.base import make_campaign; "
            "call_command('migrate', verbosity=0); "
            f"make_campaign(slug={SLUG!r}, lines=[('Rent', '1000000')])",
        )
        # A file, not a pipe: every 503 logs a traceback, and a pipe nobody reads
        # fills up and blocks the workers.
        self.log = open(self.cluster.dir / "gunicorn.log", "w")  # noqa: SIM115
        self.addCleanup(self.log.close)
        self.gunicorn = start_gunicorn(self.env, self.port, workers=2, log=self.log)
        self.addCleanup(stop, self.gunicorn, timeout=15)
        wait_until_up(f"http://127.0.0.1:{self.port}", self.gunicorn, seconds=20)

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def test_a_restart_while_donors_pledge_is_503_then_recovers_with_no_pledge_lost(
        self,
    ):
        outcomes: list[Outcome] = []
        stop = threading.Event()
        donors = [Donor(self.port, stop, outcomes) for _ in range(CLIENTS)]
        for donor in donors:
            donor.start()
        # Pledging works before the outage (wait for a few, however loaded the host).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (
            sum(o.status == 303 for o in outcomes) < CLIENTS
        ):
            time.sleep(0.1)
        down_from = time.monotonic()
        self.cluster.stop("fast")
        down_confirmed = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        up_from = time.monotonic()
        self.cluster.start()
        up_at = time.monotonic()
        while time.monotonic() < up_at + RECOVERY_LIMIT_SECONDS and not any(
            o.status == 303 and o.started >= up_at for o in outcomes
        ):
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        for donor in donors:
            donor.join(timeout=25)

        statuses = sorted({o.status for o in outcomes})
        self.assertEqual(
            [s for s in statuses if s not in (200, 303, 503)], [], "unexpected answers"
        )
        unavailable = [o for o in outcomes if o.status == 503]
        self.assertTrue(unavailable, "no request met the outage")
        self.assertTrue(
            all(o.retry_after for o in unavailable), "503 without Retry-After"
        )
        # Every request made wholly while the cluster was down was a 503.
        during = [
            o for o in outcomes if o.started >= down_confirmed and o.ended <= up_from
        ]
        self.assertTrue(during)
        self.assertEqual({o.status for o in during}, {503})
        # Pledging worked before, and again soon after, without restarting gunicorn.
        acknowledged = [o for o in outcomes if o.status == 303]
        self.assertTrue(any(o.ended < down_from for o in acknowledged))
        after = [o.ended - up_at for o in acknowledged if o.started >= up_at]
        self.assertTrue(after, "no pledge succeeded after the restart")
        self.assertLess(min(after), RECOVERY_LIMIT_SECONDS)
        self.assertIsNone(self.gunicorn.poll(), "gunicorn stopped")

        keys = {o.access_key for o in acknowledged}
        with psycopg.connect(self.cluster.url("zbor")) as db:
            stored = {
                row[0] for row in db.execute("SELECT access_key FROM donations_pledge")
            }
            promised, supporters = db.execute(
                "SELECT promised, supporters FROM campaigns_campaign WHERE slug = %s",
                [SLUG],
            ).fetchone()
            pending = db.execute(
                "SELECT coalesce(sum(amount), 0), count(*) FROM donations_pledge "
                "WHERE status = 'pending'"
            ).fetchone()
        self.assertEqual(keys - stored, set(), "acknowledged pledges missing")
        self.assertEqual((promised, supporters), pending)
        print(  # noqa: T201 - the figures, for the report
            f"\noutage test: {len(outcomes)} requests, {len(acknowledged)} pledges "
            f"acknowledged, {len(unavailable)} answered 503, first pledge "
            f"{min(after):.2f} s after PostgreSQL was back"
        )
