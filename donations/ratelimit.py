"""Limits on how often pledges may be sent, counted in the shared cache.

Three fixed-window counters guard the pledge form:

- pledges stored per client address (ZBOR_PLEDGE_RATE_PER_ADDRESS): stops one
  machine filling a campaign with pledges;
- pledges stored per campaign (ZBOR_PLEDGE_RATE_PER_CAMPAIGN): a ceiling on a
  flood from many addresses, set well above what hundreds of real donors a
  minute need;
- forms sent back per client address (ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS): a
  typo in the amount, a line covered meanwhile. A higher limit of its own, so
  donors behind one carrier's address or at one event who mistype do not use up
  the pledges the others may make.

Before the view runs, each POST takes a hit from both pledge counters and reads
the error counter, in one round trip, so simultaneous posts never get past a
pledge limit together. A stored pledge (the view redirects to its thank-you
page, 303; a form posted twice shows its pledge that way too, and counts again)
costs nothing more. A form sent back gives its pledge hits back and takes an
error hit instead, in a second round trip, so only bad input pays for it
(simultaneous typos may pass the error limit by the few in flight). A post
refused here takes no hit at all.

The three rates are config.env.Rate values, parsed once when the settings load
(config/settings.py). Every app server shares the counters through the cache;
counting is atomic there (config.cache.count_hits). If the cache is down or
frozen the limits fail open (config.cache.call_cache): a donor is never refused
because of our infrastructure, a warning says the limits are off, and for a few
seconds after a failure the cache is not even asked.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from config.cache import call_cache, count_hits
from config.env import Rate
from config.security import client_address

logger = logging.getLogger(__name__)

TOO_MANY = 429
# What the pledge view answers once it stored a pledge: See Other, its thank-you page.
STORED = 303

PER_ADDRESS = "pledge-address"
PER_CAMPAIGN = "pledge-campaign"
ERRORS_PER_ADDRESS = "pledge-error-address"


@dataclass(frozen=True)
class Limit:
    """`rate` hits per window for one `ident` (an address, a campaign) in `scope`."""

    scope: str
    ident: str
    rate: Rate

    def window(self, now: float) -> int:
        return int(now // self.rate.seconds)

    def counter(self, now: float) -> tuple[str, int]:
        """The cache key of the window `now` falls in, and its lifetime: the
        window's, and a little more."""
        digest = hashlib.sha256(self.ident.encode()).hexdigest()[:32]
        key = f"rl:{self.scope}:{digest}:{self.rate.seconds}:{self.window(now)}"
        return key, self.rate.seconds + 5

    def seconds_left(self, now: float) -> int:
        return max(1, math.ceil((self.window(now) + 1) * self.rate.seconds - now))


@dataclass(frozen=True)
class Refusal:
    """Which limit refused a post, and the seconds until its window ends."""

    scope: str
    retry_after: int

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def is_for_errors(self) -> bool:
        return self.scope == ERRORS_PER_ADDRESS


def hit_each(
    limits: Sequence[Limit], now: float | None = None, *, peek: Sequence[Limit] = ()
) -> Refusal | None:
    """Count one hit against each of `limits`, and read the `peek` limits
    without counting, all in one cache round trip; return the first limit
    exceeded (a `peek` one once it is full) as a Refusal, else None.

    A refused post takes its hits back from every counter: one address over its
    own limit does not use up a campaign's allowance. Returns None also when
    the cache cannot be reached (failing open, with a warning in the log).
    """
    now = time.time() if now is None else now
    counters = [limit.counter(now) for limit in limits]
    backend = caches["default"]
    read = [limit.counter(now) for limit in peek]

    def count() -> Refusal | None:
        counts = count_hits(
            backend, counters + read, [1] * len(counters) + [0] * len(read)
        )
        over = [
            limit
            for limit, hits in zip(limits, counts, strict=False)
            if hits > limit.rate.count
        ] + [
            limit
            for limit, hits in zip(peek, counts[len(limits) :], strict=True)
            if hits >= limit.rate.count
        ]
        if over:
            count_hits(backend, counters, delta=-1)
            return Refusal(over[0].scope, over[0].seconds_left(now))
        return None

    scopes = ", ".join(limit.scope for limit in limits)
    return call_cache(
        count,
        default=None,
        logger=logger,
        warning=f"Rate limit {scopes} not applied: the cache is unavailable",
    )


def give_back(
    limits: Sequence[Limit], now: float, *, instead: Sequence[Limit] = ()
) -> None:
    """Take back the hits `hit_each(limits, now)` counted, and count one hit
    against each of `instead` (one round trip)."""
    counters = [limit.counter(now) for limit in (*limits, *instead)]
    if not counters:
        return
    deltas = [-1] * len(limits) + [1] * len(instead)
    call_cache(
        lambda: count_hits(caches["default"], counters, deltas),
        default=None,
        logger=logger,
        warning="Rate limit hits not given back: the cache is unavailable",
    )


def too_many(request: HttpRequest, refusal: Refusal, *args, **kwargs) -> HttpResponse:
    """The plain 429 page (for views with no form of their own to show)."""
    response = TemplateResponse(
        request, "429.html", {"refusal": refusal}, status=TOO_MANY
    )
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def limit_pledges(
    refused: Callable[..., HttpResponse] = too_many,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Refuse a POST (nothing stored) when the sender's address or the campaign
    (the view's `slug` argument) has had too many pledges stored lately, or the
    address too many forms sent back: the view is not called, and
    `refused(request, refusal, *args, **kwargs)` answers instead (429 with
    Retry-After)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            address = client_address(request)
            pledges = [
                Limit(PER_ADDRESS, address, settings.ZBOR_PLEDGE_RATE_PER_ADDRESS),
                Limit(
                    PER_CAMPAIGN,
                    kwargs.get("slug", ""),
                    settings.ZBOR_PLEDGE_RATE_PER_CAMPAIGN,
                ),
            ]
            errors = [
                Limit(
                    ERRORS_PER_ADDRESS,
                    address,
                    settings.ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS,
                )
            ]
            now = time.time()
            refusal = hit_each(pledges, now, peek=errors)
            if refusal is not None:
                logger.info(
                    "Pledge refused by the rate limit %s (retry in %ss)",
                    refusal.scope,
                    refusal.retry_after,
                )
                return refused(request, refusal, *args, **kwargs)
            try:
                response = view(request, *args, **kwargs)
            except Exception:
                give_back(pledges, now)  # nothing was stored
                raise
            if response.status_code != STORED:
                give_back(pledges, now, instead=errors)
            return response

        return wrapper

    return decorator
