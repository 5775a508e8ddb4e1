import socket
import unittest

from django.test import SimpleTestCase

from config.cache import RedisCache


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@unittest.skipUnless(redis_answers(), "needs Redis on 127.0.0.1:6379")
class ReusingRedisCacheTests(SimpleTestCase):
    def setUp(self):
        self.cache = RedisCache(
            "redis://127.0.0.1:6379/15", {"KEY_PREFIX": "zbor-test-redis-cache"}
        )
        self.cache.clear()

    def test_it_stores_counts_and_forgets_like_djangos(self):
        self.cache.set("page", (b"<html>", "text/html"), 30)
        self.assertEqual(self.cache.get("page"), (b"<html>", "text/html"))
        self.assertTrue(self.cache.add("hits", 0, 30))
        self.assertFalse(self.cache.add("hits", 5, 30))
        self.assertEqual(self.cache.incr("hits"), 1)
        self.cache.delete("page")
        self.assertIsNone(self.cache.get("page"))

    def test_it_builds_one_client_per_pool_not_one_per_call(self):
        client = self.cache._cache
        self.assertIs(client.get_client(write=True), client.get_client(write=True))
        self.assertIs(client.get_client(write=False), client.get_client(write=False))
