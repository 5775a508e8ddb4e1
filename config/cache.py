"""Django's Redis cache, reusing one client per connection pool.

Django's RedisCacheClient builds a new redis.Redis object for every cache call,
and redis-py fills some 170 response callbacks in each: about half a
millisecond, as much as the GET itself, on every cached page and rate-limit
check. The pools were already shared; now the clients are too (a redis.Redis
over a pool is safe to share).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


def count_hit(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout`) and return its value.

    On Redis this is one round trip (INCR and EXPIRE NX in a pipeline) instead of
    the three of Django's `add` + `incr`; other backends use `add` + `incr`, which
    are atomic on them too.

    Pass the backend itself (`caches["default"]`): `django.core.cache.cache` is a
    proxy, no RedisCache to isinstance(), and would take the slow path.
    """
    if isinstance(cache, DjangoRedisCache):
        key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        count, _ = pipe.execute()
        return int(count)
    cache.add(key, 0, timeout=timeout)
    return cache.incr(key)
