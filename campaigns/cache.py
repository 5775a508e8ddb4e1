"""Whole public pages from the shared cache, under keys that change with the data.

The campaign page and the list carry no form and nothing personal, so the HTML
is the same for every reader of one language. A request first reads the few
columns that say whether a page changed (one small query), builds a key from
them, and serves the stored HTML when there is some:

- a campaign's key carries its `version` (bumped under the row lock by every
  change of money, state or moderation), `updated_at` (every save, so admin edits
  of the story, lines and photos), whether it is closed now, and the language;
- the list's key carries the count, the sum of the versions, the latest
  `updated_at` and the next deadline of all campaigns.

So no reader is ever served money older than the database's, whichever server
stored the entry. Entries expire after PAGE_SECONDS at most ("3 days left") and
never later than the deadline they show. When the cache cannot be reached, pages
are rendered as if there were no cache (fail open), and because the keys carry
versions, nothing stored before the outage is served once it is back.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from campaigns.models import Campaign

logger = logging.getLogger(__name__)

# The longest a stored page lives: relative texts ("3 days left", "pledged
# yesterday") may lag by this much; money and state never do (see above).
PAGE_SECONDS = 60
# After a cache failure this worker skips the cache for a moment, so an outage
# costs one timeout per worker, not one per request.
RETRY_AFTER_FAILURE_SECONDS = 5.0

_cache_down_until = 0.0


def forget_failures() -> None:
    """Use the cache again at once (tests call this between tests)."""
    global _cache_down_until
    _cache_down_until = 0.0


def _stamp(moment: datetime | None) -> str:
    return "-" if moment is None else str(int(moment.timestamp() * 1_000_000))


def _seconds_until(moment: datetime | None, now: datetime) -> float:
    if moment is None or moment <= now:
        return PAGE_SECONDS
    return min(PAGE_SECONDS, (moment - now).total_seconds())


def _cache_call(method: str, *args):
    """cache.get / cache.set that never raise: a failure is logged and returns None."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        return getattr(cache, method)(*args)
    except Exception as error:  # noqa: BLE001 - any cache failure means "render"
        _cache_down_until = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
        logger.warning(
            "Page cache unavailable, rendering without it (%s)",
            error.__class__.__name__,
        )
        return None


def cached_page(
    request: HttpRequest,
    key_parts: tuple,
    *,
    timeout: float,
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """The page stored under `key_parts` and the language, else `render()`'s,
    stored for `timeout` seconds when it is a plain 200 meant for everyone."""
    language = translation.get_language() or "-"
    key = "page:" + ":".join(str(part) for part in (*key_parts, language))
    stored = _cache_call("get", key)
    if stored is not None:
        content, content_type = stored
        return HttpResponse(content, content_type=content_type)
    response = render()
    if timeout >= 1 and _is_public(request, response):
        _cache_call("set", key, (response.content, response["Content-Type"]), timeout)
    return response


def _is_public(request: HttpRequest, response: HttpResponse) -> bool:
    """Only a page with nothing of this reader in it may be served to others: no
    CSRF token, no session read, no cookie, no caching headers of its own."""
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and not response.has_header("Vary")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.accessed)
    )


def _column(name: str) -> str:
    return connection.ops.quote_name(Campaign._meta.get_field(name).column)


def _datetime(value) -> datetime | None:
    """A datetime read by a raw cursor: aware on PostgreSQL, text on SQLite."""
    if value is None or isinstance(value, datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, UTC)


@functools.cache
def _campaign_state_sql() -> str:
    columns = ", ".join(
        _column(name)
        for name in ("id", "version", "updated_at", "closed_at", "deadline")
    )
    table = connection.ops.quote_name(Campaign._meta.db_table)
    return (
        f"SELECT {columns} FROM {table} "  # noqa: S608 - names from the model
        f"WHERE {_column('slug')} = %s AND {_column('published')} = %s"
    )


@functools.cache
def _list_state_sql() -> str:
    deadline = _column("deadline")
    table = connection.ops.quote_name(Campaign._meta.db_table)
    aggregates = (
        f"COUNT(*), SUM({_column('version')}), MAX({_column('updated_at')}), "
        f"MIN(CASE WHEN {deadline} > %s THEN {deadline} END)"
    )
    return f"SELECT {aggregates} FROM {table}"  # noqa: S608 - names from the model


def _fetch_one(sql: str, params: list) -> tuple | None:
    # Raw SQL on purpose: this runs on every view of the busiest pages, and the
    # ORM would cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def cache_campaign_page(view: Callable[..., HttpResponse]):
    """Serve a published campaign's page from the cache (one query on a hit)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        row = _fetch_one(_campaign_state_sql(), [slug, True])
        if row is None:
            raise Http404("No campaign here.")
        pk, version, updated_at, closed_at, deadline = row
        deadline = _datetime(deadline)
        now = timezone.now()
        closed = closed_at is not None or (deadline is not None and deadline <= now)
        return cached_page(
            request,
            ("campaign", pk, version, _stamp(_datetime(updated_at)), int(closed)),
            timeout=_seconds_until(deadline, now),
            render=lambda: view(request, slug),
        )

    return wrapper


def cache_campaign_list(view: Callable[..., HttpResponse]):
    """Serve the campaign list from the cache (one query on a hit)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        count, versions, updated, next_deadline = _fetch_one(
            _list_state_sql(), [connection.ops.adapt_datetimefield_value(now)]
        )
        next_deadline = _datetime(next_deadline)
        return cached_page(
            request,
            (
                "list",
                count,
                versions or 0,
                _stamp(_datetime(updated)),
                _stamp(next_deadline),
            ),
            timeout=_seconds_until(next_deadline, now),
            render=lambda: view(request),
        )

    return wrapper
