"""Staff login protected against password guessing, without captcha or script.

Failed logins are counted in the shared cache three ways, whether or not such a
user exists:

- per username *and* address (ZBOR_LOGIN_FAILURES_PER_PAIR, 5): a guesser
  locks that username only for themselves, never for the real user elsewhere;
- per address, whatever the usernames (ZBOR_LOGIN_FAILURES_PER_ADDRESS, 20):
  one machine trying many names;
- per username across all addresses (ZBOR_LOGIN_FAILURES_PER_USERNAME, 50 in
  ZBOR_LOGIN_USERNAME_WINDOW_SECONDS, an hour): guessing spread over many
  addresses. This lock is shorter (ZBOR_LOGIN_USERNAME_COOLOFF_SECONDS, a
  minute) and doubles each time it is set again within a day, up to the full
  cool-off: spread guessing slows a real organizer down, never locks them out.

The first two lock for ZBOR_LOGIN_COOLOFF_SECONDS (15 minutes). Every lock ends
by itself. Locked, the form gives the same answer whatever was typed (it does not
even check the password), and the same whether the user exists. If the cache is
down or frozen the guard fails open, and skips the cache for a few seconds
(config.cache.call_cache).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext_lazy

from config.cache import call_cache, count_hit, count_hits
from config.security import client_address

logger = logging.getLogger(__name__)

# How long a username's earlier locks make its next one longer.
STRIKES_SECONDS = 24 * 3600


class LoginGuard:
    """Failure counters and locks for one username at one address."""

    def __init__(self, username: str, address: str):
        username = username.strip().casefold()
        cooloff = settings.ZBOR_LOGIN_COOLOFF_SECONDS
        # kind: (digest, failures that lock, seconds the count is kept)
        self.counters = {
            "pair": (
                self._digest(username, address),
                settings.ZBOR_LOGIN_FAILURES_PER_PAIR,
                cooloff,
            ),
            "address": (
                self._digest(address),
                settings.ZBOR_LOGIN_FAILURES_PER_ADDRESS,
                cooloff,
            ),
            "username": (
                self._digest(username),
                settings.ZBOR_LOGIN_FAILURES_PER_USERNAME,
                settings.ZBOR_LOGIN_USERNAME_WINDOW_SECONDS,
            ),
        }
        self.backend = caches["default"]

    @staticmethod
    def _digest(*values: str) -> str:
        return hashlib.sha256("\0".join(values).encode()).hexdigest()[:32]

    def _failures_key(self, kind: str) -> str:
        return f"login-fail:{kind}:{self.counters[kind][0]}"

    def _lock_key(self, kind: str) -> str:
        return f"login-lock:{kind}:{self.counters[kind][0]}"

    def locked_for(self) -> int:
        """Seconds until the locks on this username and address end; 0 if none."""
        locks = call_cache(
            lambda: self.backend.get_many([self._lock_key(k) for k in self.counters]),
            default={},
            logger=logger,
            warning="Login lockout not checked: the cache is unavailable",
        )
        if not locks:
            return 0
        return max(1, math.ceil(max(locks.values()) - time.time()))

    def record_failure(self) -> None:
        """Count a failure every way (one round trip) and lock what reached its
        threshold; its count starts again from zero after the lock."""

        def record() -> None:
            kinds = list(self.counters)
            counts = count_hits(
                self.backend,
                [(self._failures_key(kind), self.counters[kind][2]) for kind in kinds],
            )
            for kind, failures in zip(kinds, counts, strict=True):
                if failures >= self.counters[kind][1]:
                    self._lock(kind)

        call_cache(
            record,
            default=None,
            logger=logger,
            warning="Login failure not counted: the cache is unavailable",
        )

    def _lock(self, kind: str) -> None:
        seconds = settings.ZBOR_LOGIN_COOLOFF_SECONDS
        if kind == "username":
            strikes = count_hit(
                self.backend, f"login-strikes:{self.counters[kind][0]}", STRIKES_SECONDS
            )
            doubled = 2 ** min(strikes - 1, 16)
            seconds = min(
                seconds, settings.ZBOR_LOGIN_USERNAME_COOLOFF_SECONDS * doubled
            )
        # The lock holds the moment it ends, for the message.
        self.backend.set(self._lock_key(kind), time.time() + seconds, timeout=seconds)
        self.backend.delete(self._failures_key(kind))
        logger.warning("Staff login locked for %s s (by %s)", seconds, kind)

    def forget_failures(self) -> None:
        """After a right password: this username's failures from this address
        no longer count (those from elsewhere still do)."""
        call_cache(
            lambda: self.backend.delete(self._failures_key("pair")),
            default=None,
            logger=logger,
            warning="Login failures not forgotten: the cache is unavailable",
        )


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked_out": ngettext_lazy(
            "Too many failed attempts. Wait %(minutes)s minute, then try again.",
            "Too many failed attempts. Wait %(minutes)s minutes, then try again.",
            "minutes",
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        address = client_address(self.request) if self.request else ""
        guard = LoginGuard(username, address)
        locked_for = guard.locked_for()
        if locked_for:
            raise ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": math.ceil(locked_for / 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                guard.record_failure()
            raise
        guard.forget_failures()
        return cleaned
