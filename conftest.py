"""Test-wide settings. pyproject.toml's `env` sets the environment Django reads."""

import contextlib

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Django's default hasher costs about a second per user here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: a page or a rate-limit counter
    stored by one test must not leak into the next (SQLite reuses ids after a
    rollback, so two tests' campaigns can share a cache key)."""
    from django.core.cache import cache

    from campaigns.cache import forget_failures

    forget_failures()
    # A test class may point the cache at a server that is down on purpose.
    with contextlib.suppress(Exception):
        cache.clear()
