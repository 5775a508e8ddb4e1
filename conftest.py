"""Test-wide settings. pyproject.toml's `env` sets the environment Django reads."""

import contextlib

import pytest


def pytest_configure(config):
    from django.conf import settings

    # Django's default hasher costs about a second per user here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """Every test starts in English. A request to /pl/... leaves Polish active in
    the thread (LocaleMiddleware activates a language and never deactivates it),
    which would otherwise turn the next test's reverse() and texts Polish."""
    from django.utils import translation

    yield
    translation.deactivate()
