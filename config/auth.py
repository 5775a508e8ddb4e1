"""Staff login protected against password guessing, without captcha or script.

Failed logins are counted in the shared cache per username (whether or not such a
user exists) and per client address. Past a threshold the username or address is
locked for a cool-off; the lock always ends by itself, so a guesser can only delay
a real organizer, never lock them out for good. Locked, the form gives the same
answer whatever was typed, and does not even check the password.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.security import client_address

logger = logging.getLogger(__name__)


class LoginGuard:
    """Failure counters and locks for one username and one address."""

    def __init__(self, username: str, address: str):
        self.keys = {
            "username": self._key(username.strip().casefold()),
            "address": self._key(address),
        }
        self.thresholds = {
            "username": settings.ZBOR_LOGIN_FAILURES_PER_USERNAME,
            "address": settings.ZBOR_LOGIN_FAILURES_PER_ADDRESS,
        }
        self.cooloff = settings.ZBOR_LOGIN_COOLOFF_SECONDS

    @staticmethod
    def _key(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()[:32]

    def is_locked(self) -> bool:
        try:
            locks = cache.get_many([f"login-lock:{key}" for key in self.keys.values()])
        except Exception as error:  # noqa: BLE001 - the cache down means "open"
            logger.warning(
                "Login lockout not checked: the cache is unavailable (%s)",
                error.__class__.__name__,
            )
            return False
        return bool(locks)

    def record_failure(self) -> None:
        try:
            for kind, key in self.keys.items():
                counter = f"login-fail:{key}"
                cache.add(counter, 0, timeout=self.cooloff)
                if cache.incr(counter) >= self.thresholds[kind]:
                    cache.set(f"login-lock:{key}", 1, timeout=self.cooloff)
                    cache.delete(counter)
                    logger.warning("Staff login locked for a cool-off (by %s)", kind)
        except Exception as error:  # noqa: BLE001
            logger.warning(
                "Login failure not counted: the cache is unavailable (%s)",
                error.__class__.__name__,
            )

    def forget_username_failures(self) -> None:
        # With the cache down there is nothing to forget.
        with contextlib.suppress(Exception):
            cache.delete(f"login-fail:{self.keys['username']}")


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked_out": _(
            "Too many failed attempts. Wait %(minutes)s minutes, then try again."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        address = client_address(self.request) if self.request else ""
        guard = LoginGuard(username, address)
        if guard.is_locked():
            raise ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": max(1, settings.ZBOR_LOGIN_COOLOFF_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                guard.record_failure()
            raise
        guard.forget_username_failures()
        return cleaned
