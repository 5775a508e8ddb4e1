"""Django's Redis cache, reusing one client per connection pool; atomic
counters; and `call_cache`, the one way the page cache, the rate limits and the
login guard call the cache without ever waiting on it twice in a row.

Django's RedisCacheClient builds a new redis.Redis object for every cache call,
and redis-py fills in all its response callbacks each time, work comparable to
the GET itself on every cached page and rate-limit check (docs/performance.md).
The pools were already shared; now the clients are too (a redis.Redis over a
pool is safe to share). set_many sets each key with its expiry, in a
pipeline without a transaction.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# After a cache failure this process (one gunicorn worker) skips the cache for a
# moment: a Redis that is frozen (every call waits the socket timeout) or down
# then costs one timeout per worker every few seconds, not one per request.
# Meanwhile callers get their default: pages render, rate limits and the login
# guard let everyone through (they fail open).
SKIP_AFTER_FAILURE_SECONDS = 5.0

_skip_until = 0.0


def forget_failures() -> None:
    """Use the cache again at once (tests call this between tests)."""
    global _skip_until
    _skip_until = 0.0


def call_cache[T](
    call: Callable[[], T], *, default: T, logger: logging.Logger, warning: str
) -> T:
    """`call()`, which uses the cache; `default` if it fails or, without
    calling it, for SKIP_AFTER_FAILURE_SECONDS after any failure in this process.

    A failure is logged on the caller's `logger`: "`warning` (TimeoutError)".
    The skip is shared by every caller, because they share one server: a page
    that timed out spares the rate limit that follows it the same wait.
    """
    global _skip_until
    if time.monotonic() < _skip_until:
        return default
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - any cache failure means "without"
        _skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
        logger.warning(
            "%s (%s); skipping the cache for %g s",
            warning,
            error.__class__.__name__,
            SKIP_AFTER_FAILURE_SECONDS,
        )
        return default


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

    def set_many(self, data, timeout):
        # Django's MSET + one EXPIRE per key in a MULTI/EXEC transaction; a SET
        # with its expiry per key is atomic for each key, which is all a cache
        # needs, and skips the transaction (the page pointers after every pledge).
        self.set_many_and_publish(data, timeout)

    def set_many_and_publish(self, data, timeout, channel=None, message=None):
        """set_many, and PUBLISH `message` on `channel` in the same round trip."""
        client = self.get_client(None, write=True)
        pipeline = client.pipeline(transaction=False)
        if timeout == 0:  # as Django's: stored already expired
            pipeline.delete(*data)
        else:
            for key, value in data.items():
                pipeline.set(key, self._serializer.dumps(value), ex=timeout)
        if channel is not None:
            pipeline.publish(channel, message)
        pipeline.execute()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient


def set_and_announce(cache, data: dict, timeout: int, channel: str) -> None:
    """`cache.set_many(data, timeout)`; on Redis, also announce the keys' names
    on `channel` (a name under the cache's KEY_PREFIX), in the same round trip,
    to every Subscription of it.

    Pass the backend itself (`caches["default"]`), as for count_hits."""
    if not isinstance(cache, RedisCache):
        cache.set_many(data, timeout)
        return
    keys = {cache.make_and_validate_key(key): value for key, value in data.items()}
    cache._cache.set_many_and_publish(
        keys,
        cache.get_backend_timeout(timeout),
        channel=cache.make_key(channel),
        message="\n".join(data),
    )


class Subscription:
    """What set_and_announce has announced on one channel since this process
    subscribed, read without ever waiting for it.

    A connection of its own, outside the pool. Its messages wait in the socket
    until `announced()` reads them; that costs a poll of the socket when there
    are none. Any failure raises: the caller cannot know what it missed, and
    must drop whatever it kept on the strength of the messages (a new
    Subscription starts from nothing). Belongs to the process that made it
    (`pid`): a forked child must make its own.
    """

    def __init__(self, cache: RedisCache, channel: str) -> None:
        # The primary's (the first LOCATION), where the writers publish.
        pool = cache._cache._get_connection_pool(write=True)
        self.pid = os.getpid()
        self.connection = pool.connection_class(**pool.connection_kwargs)
        self.channel = cache.make_key(channel)
        try:
            self.connection.connect()
            self.connection.send_command("CLIENT", "ID")
            self.client_id = int(self.connection.read_response())
            self.connection.send_command("SUBSCRIBE", self.channel)
            kind, _channel, _count = self.connection.read_response(push_request=True)
        except BaseException:
            self.close()
            raise
        if _text(kind) != "subscribe":
            self.close()
            raise ConnectionError(f"SUBSCRIBE answered {kind!r}")

    def announced(self) -> list[str]:
        """The keys announced since the last call, oldest first."""
        keys = []
        connection = self.connection
        while connection.can_read(timeout=0):
            reply = connection.read_response(push_request=True)
            if isinstance(reply, list) and _text(reply[0]) == "message":
                keys.extend(_text(reply[2]).split("\n"))
        return keys

    def close(self) -> None:
        self.connection.disconnect()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def count_hit(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout`) and return its value.

    Pass the backend itself (`caches["default"]`): `django.core.cache.cache` is a
    proxy, no RedisCache to isinstance(), and would take the slow path.
    """
    return count_hits(cache, [(key, timeout)])[0]


def count_hits(
    cache, counters: list[tuple[str, int]], delta: int | list[int] = 1
) -> list[int]:
    """Add `delta` (one for all, or one per counter; 0 only reads) to each
    counter (key, timeout) and return their new values.

    A counter that does not exist is created with `timeout`, also when `delta`
    takes a hit back (-1) after its window ended: it never lives for ever.
    On Redis this is one round trip for them all (INCRBY and EXPIRE NX for each,
    in a pipeline) instead of three per counter with Django's `add` + `incr`;
    other backends use `add` + `incr`, which are atomic on them too.
    """
    deltas = delta if isinstance(delta, list) else [delta] * len(counters)
    if isinstance(cache, DjangoRedisCache):
        keys = [
            (cache.make_and_validate_key(key), timeout) for key, timeout in counters
        ]
        client = cache._cache.get_client(keys[0][0], write=True)
        pipe = client.pipeline(transaction=False)
        for (key, timeout), change in zip(keys, deltas, strict=True):
            pipe.incrby(key, change)
            pipe.expire(key, timeout, nx=True)
        return [int(count) for count in pipe.execute()[::2]]
    counts = []
    for (key, timeout), change in zip(counters, deltas, strict=True):
        cache.add(key, 0, timeout=timeout)
        counts.append(cache.incr(key, change))
    return counts
