"""Our Redis cache backend and counters, on a Redis of the tests' own (conftest's
`redis_for_tests`): never a FLUSHDB, only the keys under this run's prefix."""

import pytest
from django.test import SimpleTestCase

from config.cache import RedisCache


class ReusingRedisCacheTests(SimpleTestCase):
    @pytest.fixture(autouse=True)
    def _own_redis(self, redis_for_tests):
        self.redis = redis_for_tests
        self.cache = RedisCache(
            redis_for_tests.url, {"KEY_PREFIX": redis_for_tests.prefix}
        )
        self.start_empty()
        yield
        self.start_empty()
        self.cache.close()

    def start_empty(self) -> None:
        """What runs before and after each test here: this run's keys go."""
        self.redis.delete_own_keys()

    def test_starting_empty_leaves_every_key_but_its_own_alone(self):
        client = self.redis.client()
        others = ["zbor:1:page:campaign:x", f"{self.redis.prefix}x:1:a", "session:42"]
        try:
            for key in others:
                client.set(key, "someone else's", ex=60)
            self.cache.set("mine", 1, 60)
            self.start_empty()
            self.assertIsNone(self.cache.get("mine"))
            self.assertEqual(client.exists(*others), len(others))
        finally:
            client.delete(*others)

    def test_it_stores_counts_and_forgets_like_djangos(self):
        self.cache.set("page", (b"<html>", "text/html"), 30)
        self.assertEqual(self.cache.get("page"), (b"<html>", "text/html"))
        self.assertTrue(self.cache.add("hits", 0, 30))
        self.assertFalse(self.cache.add("hits", 5, 30))
        self.assertEqual(self.cache.incr("hits"), 1)
        self.cache.delete("page")
        self.assertIsNone(self.cache.get("page"))

    def test_set_many_stores_each_key_with_its_expiry(self):
        self.cache.set_many({"a": 1, "b": (b"<html>", "text/html")}, 30)
        self.assertEqual(
            self.cache.get_many(["a", "b"]), {"a": 1, "b": (b"<html>", "text/html")}
        )
        client = self.cache._cache.get_client(write=True)
        self.assertTrue(0 < client.ttl(self.cache.make_and_validate_key("a")) <= 30)
        self.cache.set_many({"c": 3}, None)  # no expiry
        self.assertEqual(client.ttl(self.cache.make_and_validate_key("c")), -1)
        self.cache.set_many({"a": 5, "c": 6}, 0)  # already expired, as Django's
        self.assertEqual(
            self.cache.get_many(["a", "b", "c"]), {"b": (b"<html>", "text/html")}
        )

    def test_a_rate_limit_counter_counts_in_one_round_trip_and_keeps_its_expiry(self):
        from concurrent.futures import ThreadPoolExecutor

        from config.cache import count_hit

        self.assertEqual(count_hit(self.cache, "rl:x", timeout=60), 1)
        with ThreadPoolExecutor(8) as pool:
            counts = list(
                pool.map(lambda _: count_hit(self.cache, "rl:x", 60), range(40))
            )
        # Every hit from every thread is counted once.
        self.assertEqual(sorted(counts), list(range(2, 42)))
        client = self.cache._cache.get_client(write=True)
        key = self.cache.make_and_validate_key("rl:x")
        ttl = client.ttl(key)
        self.assertTrue(0 < ttl <= 60)
        # Later hits do not push the window's end further away.
        count_hit(self.cache, "rl:x", timeout=600)
        self.assertLessEqual(client.ttl(key), 60)
        # Django's own API reads the same counter.
        self.assertEqual(self.cache.get("rl:x"), 42)

    def test_the_pledge_limiter_counts_on_redis_in_one_round_trip(self):
        from unittest import mock

        from django.core.cache import caches
        from django.test import override_settings

        from donations.ratelimit import Limit, Rate, hit_each

        def hit(scope, ident, rate):
            return hit_each([Limit(scope, ident, rate)])

        redis_default = {
            "default": {
                "BACKEND": "config.cache.RedisCache",
                "LOCATION": self.redis.url,
                "KEY_PREFIX": self.redis.prefix,
            }
        }
        with override_settings(CACHES=redis_default):
            backend = caches["default"]
            # Django's add() + incr() is three round trips: the limiter must not
            # fall back to it (it did while it was handed the `cache` proxy).
            with (
                mock.patch.object(RedisCache, "add", side_effect=AssertionError),
                mock.patch.object(RedisCache, "incr", side_effect=AssertionError),
            ):
                self.assertIsNone(hit("pledge-address", "10.0.0.1", Rate(2, 60)))
                self.assertIsNone(hit("pledge-address", "10.0.0.1", Rate(2, 60)))
                self.assertIsNotNone(hit("pledge-address", "10.0.0.1", Rate(2, 60)))
            # Both of a pledge's limits are counted in one round trip.
            from redis.client import Pipeline

            limits = [
                Limit("a", "10.0.0.2", Rate(5, 60)),
                Limit("c", "konstantin", Rate(9, 60)),
            ]
            with mock.patch.object(
                Pipeline, "execute", autospec=True, side_effect=Pipeline.execute
            ) as execute:
                self.assertIsNone(hit_each(limits))
            execute.assert_called_once()
            backend.close()

    def test_a_hit_given_back_after_its_window_leaves_no_key_for_ever(self):
        from config.cache import count_hits

        self.assertEqual(count_hits(self.cache, [("rl:gone", 30)], delta=-1), [-1])
        client = self.cache._cache.get_client(write=True)
        self.assertTrue(
            0 < client.ttl(self.cache.make_and_validate_key("rl:gone")) <= 30
        )
