"""Test-wide settings. pyproject.toml's `env` sets the environment Django reads.

The suite touches nothing it did not create: uploaded and demo photos go to a
temporary MEDIA_ROOT, removed after the run, and tests that need Redis get
`redis_for_tests`: their own redis-server on a free port when one is installed,
else the Redis at 127.0.0.1:6379 under a key prefix of this run alone, of which
they delete only their own keys.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.serve import free_port

# Every Redis key the suite writes starts with this (Django's KEY_PREFIX).
RUN_PREFIX = f"zbor-test-{secrets.token_hex(6)}"
SHARED_REDIS = "redis://127.0.0.1:6379/0"

_media_root: str | None = None


def pytest_configure(config):
    from django.conf import settings

    global _media_root
    # Django's default hasher costs about a second per user here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # pytest-django has read the settings already: set both, the environment
    # for the servers some tests start in a subprocess.
    _media_root = tempfile.mkdtemp(prefix="zbor-test-media-")
    settings.MEDIA_ROOT = Path(_media_root)
    os.environ["MEDIA_ROOT"] = _media_root
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        # A suite run against a Redis (REDIS_URL set) keeps to its own keys.
        settings.CACHES["default"]["KEY_PREFIX"] = RUN_PREFIX


def pytest_unconfigure(config):
    if _media_root is not None:
        shutil.rmtree(_media_root, ignore_errors=True)


@dataclass(frozen=True)
class RedisForTests:
    """A Redis the tests may write to, and the key prefix they write under."""

    url: str
    prefix: str

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)

    def delete_own_keys(self) -> int:
        """Delete the keys under `prefix` (SCAN, then DEL), and only those."""
        return delete_keys(self.url, self.prefix)


def delete_keys(url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    return client.delete(*keys) if keys else 0


def _answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - nothing there (yet)
        return False


@pytest.fixture(scope="session")
def redis_for_tests(tmp_path_factory):
    """Our own redis-server on a free port (no disk, gone after the run) when
    one is installed; else the shared Redis at 127.0.0.1:6379, where only the
    keys under this run's prefix are written and deleted; else skip."""
    server = shutil.which("redis-server")
    if server:
        port = free_port()
        process = subprocess.Popen(  # noqa: S603 - the installed redis-server
            [
                server,
                *("--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
                *("--dir", str(tmp_path_factory.mktemp("redis"))),
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        try:
            yield RedisForTests(url, RUN_PREFIX)
        finally:
            process.terminate()
            process.wait(timeout=10)
        return
    if not _answers(SHARED_REDIS):
        pytest.skip("needs redis-server, or a Redis on 127.0.0.1:6379")
    shared = RedisForTests(SHARED_REDIS, RUN_PREFIX)
    try:
        yield shared
    finally:
        shared.delete_own_keys()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a page or a rate-limit counter
    stored by one test must not leak into the next (SQLite reuses ids after a
    rollback, so two tests' campaigns can share a cache key). On a Redis only
    this run's keys are deleted, never the whole database."""
    from django.conf import settings
    from django.core.cache import cache

    from config.cache import forget_failures

    forget_failures()
    # A test class may point the cache at a server that is down on purpose.
    with contextlib.suppress(Exception):
        default = settings.CACHES["default"]
        if "redis" in default["BACKEND"].lower():
            delete_keys(default["LOCATION"], default.get("KEY_PREFIX") or RUN_PREFIX)
        else:
            cache.clear()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """Every test starts in English. A request to /pl/... leaves Polish active in
    the thread (LocaleMiddleware activates a language and never deactivates it),
    which would otherwise turn the next test's reverse() and texts Polish."""
    from django.utils import translation

    yield
    translation.deactivate()
