"""Limits on how often pledges may be sent, counted in the shared cache.

Two fixed-window counters guard the pledge form: one per client address (stops
one machine hammering a campaign) and one per campaign (a ceiling on a flood from
many addresses, set well above what hundreds of real donors a minute need). Every
app server shares the counters through the cache; counting is atomic there
(config.cache.count_hits). If the cache is down the limits fail open: a donor is never
refused because of our infrastructure, and a warning says the limits are off.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from config.cache import count_hits
from config.security import client_address

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "20/600" is 20 per 600 seconds."""
        count, _, seconds = text.partition("/")
        rate = cls(int(count), int(seconds))
        if rate.count < 1 or rate.seconds < 1:
            raise ValueError(f"A rate needs a positive count and window: {text!r}")
        return rate


def hit(scope: str, ident: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one hit against `rate`; return the seconds to wait if over the limit.

    Returns None when under the limit, and also when the cache cannot be reached
    (failing open, with a warning in the log).
    """
    return hit_each([(scope, ident, rate)], now=now)


def hit_each(
    limits: list[tuple[str, str, Rate]], now: float | None = None
) -> int | None:
    """Count one hit against each (scope, ident, rate), all in one cache round
    trip; return the seconds to wait for the first limit exceeded, else None.

    A hit the first exceeded limit refuses is taken back from the limits after
    it: one address over its own limit does not use up a campaign's allowance.
    Fails open like `hit`.
    """
    now = time.time() if now is None else now
    counters = []
    for scope, ident, rate in limits:
        window = int(now // rate.seconds)
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        # The key outlives its window by a little.
        key = f"rl:{scope}:{digest}:{rate.seconds}:{window}"
        counters.append((key, rate.seconds + 5, rate, window, scope))
    backend = caches["default"]
    try:
        counts = count_hits(backend, [(key, timeout) for key, timeout, *_ in counters])
        for position, ((_key, _timeout, rate, window, _scope), count) in enumerate(
            zip(counters, counts, strict=True)
        ):
            if count > rate.count:
                for key, *_ in counters[position + 1 :]:
                    backend.decr(key)
                return max(1, math.ceil((window + 1) * rate.seconds - now))
    except Exception as error:  # noqa: BLE001 - any cache failure means "open"
        logger.warning(
            "Rate limit %s not applied: the cache is unavailable (%s)",
            ", ".join(scope for *_, scope in counters),
            error.__class__.__name__,
        )
    return None


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = TemplateResponse(
        request,
        "429.html",
        {
            "retry_after": retry_after,
            "retry_after_minutes": max(1, math.ceil(retry_after / 60)),
        },
        status=429,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def limit_pledges(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a POST with 429 (nothing stored) when the sender's address or the
    campaign (the view's `slug` argument) has sent too many pledges lately."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            per_address = Rate.parse(settings.ZBOR_PLEDGE_RATE_PER_ADDRESS)
            per_campaign = Rate.parse(settings.ZBOR_PLEDGE_RATE_PER_CAMPAIGN)
            wait = hit_each(
                [
                    ("pledge-address", client_address(request), per_address),
                    ("pledge-campaign", kwargs.get("slug", ""), per_campaign),
                ]
            )
            if wait is not None:
                logger.info("Pledge refused by the rate limit (retry in %ss)", wait)
                return too_many(request, wait)
        return view(request, *args, **kwargs)

    return wrapper
