"""Each worker's own copies of the cached pages, on a Redis of the tests' own
(conftest's `redis_for_tests`): most hits ask Redis nothing, and a page is never
staler for it. "Another server" is a second cache backend on the same Redis,
which announces its writes as a real one does."""

from __future__ import annotations

import secrets
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import override_settings

from campaigns import cache as page_cache
from campaigns.cache import (
    CHANGES_CHANNEL,
    LOCAL_SECONDS,
    POINTER_SECONDS,
    campaign_pointer,
)
from config import cache as config_cache
from tests.base import ZborTestCase
from tests.perf.test_page_cache import after_seconds
from tests.support import pledge


class LocalCopiesTests(ZborTestCase):
    url = "/c/konstantin/"

    @pytest.fixture(autouse=True)
    def _own_redis(self, redis_for_tests):
        self.redis = redis_for_tests
        prefix = f"{redis_for_tests.prefix}-copies"
        settings = override_settings(
            CACHES={
                "default": {
                    "BACKEND": "config.cache.RedisCache",
                    "LOCATION": redis_for_tests.url,
                    "KEY_PREFIX": prefix,
                    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
                }
            }
        )
        settings.enable()
        yield
        copies = page_cache._local_copies()
        if copies.subscription is not None:
            copies.subscription.close()
        settings.disable()
        config_cache.forget_failures()
        from conftest import delete_keys

        delete_keys(redis_for_tests.url, prefix)

    def backend(self):
        return caches["default"]

    def redis_reads(self):
        """Counts this worker's round trips for pages (get_many calls)."""
        return mock.patch.object(
            self.backend(), "get_many", wraps=self.backend().get_many
        )

    def warm(self) -> bytes:
        """The page rendered and stored, then served from a confirmed hit."""
        self.client.get(self.url)
        return self.client.get(self.url).content

    def other_server_writes(self, slug: str = "konstantin") -> None:
        """What another server's writer does after its commit: new pointers,
        announced, from a cache backend of its own. Waits until the
        announcement has reached this worker's socket."""
        other = caches.create_connection("default")
        try:
            config_cache.set_and_announce(
                other,
                {campaign_pointer(slug): secrets.randbits(62)},
                POINTER_SECONDS,
                CHANGES_CHANNEL,
            )
        finally:
            other.close()
        subscription = page_cache._local_copies().subscription
        self.assertTrue(subscription.connection.can_read(timeout=2))

    def test_a_confirmed_hit_is_then_served_without_asking_redis(self):
        content = self.warm()
        with self.redis_reads() as reads, self.assertNumQueries(0):
            for _ in range(5):
                response = self.client.get(self.url)
                self.assertEqual(response.content, content)
        self.assertEqual(reads.call_count, 0)
        self.assertIn("Content-Security-Policy", response.headers)

    def test_a_copy_is_asked_about_again_after_its_local_seconds(self):
        self.warm()
        with after_seconds(LOCAL_SECONDS), self.redis_reads() as reads:
            self.assertContains(self.client.get(self.url), "€0")
        self.assertEqual(reads.call_count, 1)

    def test_a_pledge_on_another_server_shows_at_once(self):
        self.assertContains(self.client.get(self.url), "€0")
        self.assertContains(self.client.get(self.url), "€0")  # copied
        pledge(self.campaign, "123")  # committed elsewhere: no callback here
        self.other_server_writes()
        self.assertContains(self.client.get(self.url), "€123")

    def test_a_pledge_on_this_worker_shows_at_once(self):
        self.warm()
        with self.captureOnCommitCallbacks(execute=True):
            pledge(self.campaign, "45")
        self.assertContains(self.client.get(self.url), "€45")

    def test_another_campaigns_change_leaves_this_copy(self):
        content = self.warm()
        self.other_server_writes("someone-else")
        with self.redis_reads() as reads:
            self.assertEqual(self.client.get(self.url).content, content)
        self.assertEqual(reads.call_count, 0)

    def test_each_language_is_dropped_with_its_page(self):
        self.warm()
        self.client.get("/pl" + self.url)
        self.client.get("/pl" + self.url)
        pledge(self.campaign, "67")
        self.other_server_writes()
        self.assertContains(self.client.get(self.url), "€67")
        self.assertContains(self.client.get("/pl" + self.url), "67")
        self.assertContains(self.client.get("/pl" + self.url), '<html lang="pl"')

    def test_a_change_announced_while_the_hit_was_read_keeps_no_copy(self):
        # The hit is read, then another server's write lands before this
        # worker keeps its copy: the copy must not be kept, or the write's
        # announcement (already read) would never drop it.
        self.client.get(self.url)
        backend = self.backend()
        real_get_many = backend.get_many

        def get_many_then_a_write_elsewhere(keys):
            found = real_get_many(keys)
            pledge(self.campaign, "89")
            self.other_server_writes()
            return found

        with mock.patch.object(backend, "get_many", get_many_then_a_write_elsewhere):
            self.assertContains(self.client.get(self.url), "€0")  # read before
        self.assertContains(self.client.get(self.url), "€89")

    def test_a_lost_subscription_drops_every_copy(self):
        self.warm()
        subscription = page_cache._local_copies().subscription
        self.redis.client().client_kill_filter(_id=subscription.client_id)
        # A write whose announcement this worker can no longer hear.
        pledge(self.campaign, "31")
        other = caches.create_connection("default")
        other.set(campaign_pointer("konstantin"), secrets.randbits(62), 5)
        other.close()
        with self.assertLogs("campaigns.cache", "WARNING") as logs:
            self.assertContains(self.client.get(self.url), "€31")
        self.assertIn("announcements lost", "\n".join(logs.output))
        # A new subscription is made, and copies are kept again.
        self.assertIsNot(page_cache._local_copies().subscription, subscription)
        self.client.get(self.url)
        with self.redis_reads() as reads:
            self.assertContains(self.client.get(self.url), "€31")
        self.assertEqual(reads.call_count, 0)

    def test_a_worker_keeps_a_bounded_number_of_copies(self):
        with mock.patch.object(page_cache, "LOCAL_COPIES", 2):
            for url in (self.url, "/pl" + self.url, "/ru" + self.url, "/"):
                self.client.get(url)
                self.client.get(url)
            copies = page_cache._local_copies().copies
            self.assertEqual(len(copies), 2)
            self.assertEqual(
                list(copies), ["page:campaign:konstantin:ru", "page:list:1:en"]
            )

    def test_a_forked_worker_makes_its_own_subscription(self):
        self.warm()
        parents = page_cache._local_copies().subscription
        with mock.patch("os.getpid", return_value=parents.pid + 1):
            with self.redis_reads() as reads:
                self.assertContains(self.client.get(self.url), "€0")
            self.assertEqual(reads.call_count, 1)  # nothing of the parent's used
            self.assertIsNot(page_cache._local_copies().subscription, parents)
        parents.close()
