"""Kept PostgreSQL connections are health-checked after idleness, not before
every request (config/postgresql/base.py)."""

import time
import unittest
from unittest import mock

from django.db import connection, connections
from django.test import TestCase, override_settings


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL")
class HealthCheckAfterIdleTests(TestCase):
    def next_request_after(self, idle: float) -> int:
        """Health checks run by the first query of a request that starts `idle`
        seconds after the connection last served a query."""
        connection.ensure_connection()
        connection.health_check_enabled = True
        connection.used_at = time.monotonic() - idle
        connection.health_check_done = False  # what each request start does
        with mock.patch.object(
            type(connections["default"]), "is_usable", autospec=True, return_value=True
        ) as is_usable:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            with connection.cursor() as cursor:  # a second query: never again
                cursor.execute("SELECT 1")
        return is_usable.call_count

    def test_a_connection_busy_a_moment_ago_is_not_checked(self):
        self.assertEqual(self.next_request_after(0.05), 0)

    @override_settings(DB_HEALTH_CHECK_AFTER_IDLE=1)
    def test_a_connection_idle_longer_is_checked_once(self):
        self.assertEqual(self.next_request_after(5), 1)

    @override_settings(DB_HEALTH_CHECK_AFTER_IDLE=0)
    def test_zero_checks_before_every_request_as_django_does(self):
        self.assertEqual(self.next_request_after(0.05), 1)

    def test_a_dead_idle_connection_is_replaced_before_the_query(self):
        connection.ensure_connection()
        connection.health_check_enabled = True
        connection.used_at = time.monotonic() - 5
        connection.health_check_done = False
        with (
            mock.patch.object(
                type(connections["default"]),
                "is_usable",
                autospec=True,
                return_value=False,
            ),
            mock.patch.object(
                type(connections["default"]), "close", autospec=True
            ) as close,
        ):
            connection.close_if_health_check_failed()
        close.assert_called_once()
