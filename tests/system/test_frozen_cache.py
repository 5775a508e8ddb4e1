"""A Redis that is frozen, not down: it accepts connections and never answers,
so every call waits the whole socket timeout. Pledges, logins and pages pay that
once per worker per skip window (config.cache.call_cache), then go straight
through without the cache, failing open."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import SimpleTestCase, override_settings
from django.urls import reverse

from config import cache as config_cache
from donations.models import Pledge
from tests.base import ZborTestCase

TIMEOUT = 0.5  # the socket timeout the frozen cache is given


class FrozenRedis:
    """A TCP server on a free port that accepts every connection and never
    says a word; counts the connections made to it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.server.settimeout(0.05)  # so that closing it ends the thread soon
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            self.held.append(connection)

    @property
    def connections(self) -> int:
        return len(self.held)

    def caches(self) -> dict:
        return {
            "default": {
                "BACKEND": "config.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{self.port}/0",
                "OPTIONS": {
                    "socket_connect_timeout": TIMEOUT,
                    "socket_timeout": TIMEOUT,
                },
            }
        }

    def __enter__(self) -> FrozenRedis:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()
        self.thread.join(timeout=2)


class Clock:
    """config.cache's view of time.monotonic, moved by hand."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now


class CallCacheTests(SimpleTestCase):
    def setUp(self):
        self.clock = Clock()
        patcher = mock.patch.object(
            config_cache, "time", SimpleNamespace(monotonic=self.clock.monotonic)
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        self.logger = logging.getLogger("tests.frozen")

    def call(self, function):
        return config_cache.call_cache(
            function, default="fallback", logger=self.logger, warning="Boom"
        )

    def test_a_failure_skips_the_cache_for_the_window_then_it_is_tried_again(self):
        attempts = []

        def failing():
            attempts.append(self.clock.now)
            raise TimeoutError("frozen")

        with self.assertLogs("tests.frozen", "WARNING") as logs:
            self.assertEqual([self.call(failing) for _ in range(50)], ["fallback"] * 50)
        self.assertEqual(len(attempts), 1)
        self.assertEqual(len(logs.output), 1)
        self.assertIn("Boom (TimeoutError); skipping the cache for 5 s", logs.output[0])
        self.clock.now += config_cache.SKIP_AFTER_FAILURE_SECONDS - 0.01
        self.call(failing)
        self.assertEqual(len(attempts), 1)
        self.clock.now += 0.02
        with self.assertLogs("tests.frozen", "WARNING"):
            self.call(failing)
        self.assertEqual(len(attempts), 2)

    def test_callers_share_the_skip(self):
        with self.assertLogs("tests.frozen", "WARNING"):
            self.call(lambda: 1 / 0)
        self.assertEqual(self.call(lambda: "from the cache"), "fallback")
        config_cache.forget_failures()
        self.assertEqual(self.call(lambda: "from the cache"), "from the cache")


@pytest.mark.slow
class FrozenCacheTests(ZborTestCase):
    def setUp(self):
        self.url = reverse("donations:pledge", args=[self.campaign.slug])
        self.frozen = FrozenRedis().__enter__()
        self.addCleanup(self.frozen.__exit__)
        settings = override_settings(CACHES=self.frozen.caches())
        settings.enable()
        self.addCleanup(settings.disable)

    def timed(self, method: str, url: str, data=None, **extra):
        start = time.monotonic()
        response = getattr(self.client, method)(url, data or {}, **extra)
        return response, time.monotonic() - start

    def pledge(self):
        data = {"amount": "25", "line": "", "token": secrets.token_urlsafe(24)}
        return self.timed("post", self.url, data, REMOTE_ADDR="203.0.113.7")

    def login(self, password="pw"):  # noqa: S107 - the test persona's
        data = {"username": "olga", "password": password, "next": "/admin/"}
        return self.timed("post", "/admin/login/", data, REMOTE_ADDR="203.0.113.7")

    def test_pledges_pay_one_timeout_then_go_straight_through(self):
        with self.assertLogs(level="WARNING") as logs:
            first, first_took = self.pledge()
            rest = [self.pledge() for _ in range(10)]
        self.assertEqual(first.status_code, 303)
        self.assertGreaterEqual(first_took, TIMEOUT)
        self.assertEqual([response.status_code for response, _ in rest], [303] * 10)
        # Nobody else waits for the cache: not one connection more, and ten
        # pledges take less than the ten timeouts they used to wait at least.
        self.assertEqual(self.frozen.connections, 1)
        self.assertLess(sum(took for _, took in rest), TIMEOUT * len(rest) / 2)
        self.assertEqual(Pledge.objects.count(), 11)
        self.assertEqual(
            len([line for line in logs.output if "skipping the cache" in line]), 1
        )

    def test_logins_and_pages_share_the_one_timeout(self):
        with self.assertLogs(level="WARNING"):
            _, first_took = self.login("wrong")
            self.assertGreaterEqual(first_took, TIMEOUT)
            tries = [self.login("wrong") for _ in range(3)]
            logged_in, login_took = self.login()
            self.client.logout()
            pages = [self.timed("get", self.campaign.get_absolute_url())]
            pages += [self.timed("get", "/")]
            pledges = [self.pledge() for _ in range(3)]
        self.assertEqual(logged_in.status_code, 302)  # failing open: no lockout
        self.assertEqual(self.frozen.connections, 1)
        # Nine requests that used to wait a timeout or two each wait none (the
        # bound leaves room for a busy machine).
        others = [*tries, (logged_in, login_took), *pages, *pledges]
        self.assertLess(sum(took for _, took in others), TIMEOUT * len(others) / 2)

    def test_after_the_skip_window_the_cache_is_tried_once_again(self):
        clock = Clock()
        with (
            mock.patch.object(
                config_cache, "time", SimpleNamespace(monotonic=clock.monotonic)
            ),
            self.assertLogs(level="WARNING"),
        ):
            self.pledge()
            self.pledge()
            self.assertEqual(self.frozen.connections, 1)
            clock.now += config_cache.SKIP_AFTER_FAILURE_SECONDS + 0.1
            _, took = self.pledge()
            self.assertGreaterEqual(took, TIMEOUT)
            self.assertEqual(self.frozen.connections, 2)
            self.pledge()
            self.assertEqual(self.frozen.connections, 2)
