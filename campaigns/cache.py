"""Whole public pages from the shared cache, served without a database query.

The campaign page and the list carry no form and nothing personal, so the HTML
is the same for every reader of one language. Next to each stored page sits a
*pointer*: a random token that changes whenever the page's data changes. An
entry stores the token it was rendered under, so a hit is one cache round trip
(`get_many` of the pointer and the entry) and no query:

    pointer == entry's token, and the entry's expiry not passed → serve it.

Writers (`pages_changed`, called inside the transaction of every write that
shows on a public page: donations.pledging, admin saves through the post_save
signal, the donor-data purge) delete the pointers at once and, after commit,
set them to new tokens. A reader that finds no pointer creates one (`add`,
before it reads the database), so every entry is tagged with a token that
existed before its data was read: a commit after that read replaces the token,
and the entry no longer matches. A donor's own pledge is therefore on the page
as soon as they are redirected to the thank-you page.

Pointers live POINTER_SECONDS (2 s) and are never extended. When one is missing
the reader asks the database for the campaign's `version`, `updated_at` and
closed state (one small query) and reuses the stored page if they are unchanged,
else renders it. That is what bounds staleness when a writer could not reach the
cache (an outage, a timeout): the page may lag that write by POINTER_SECONDS at
most, never longer, whichever server stored the entry. Entries expire after
PAGE_SECONDS at most ("3 days left") and never later than the deadline they show,
so "the collection is over" appears at the deadline's instant. When the cache
cannot be reached, pages are rendered as if there were no cache (fail open).

Same for the list, with one pointer for all campaigns (any campaign change
replaces it) and, when it is missing, the count, the sum of the versions, the
latest `updated_at` and the next deadline of all campaigns.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from campaigns.models import Campaign

logger = logging.getLogger(__name__)

# The longest a stored page lives: relative texts ("3 days left", "pledged
# yesterday") may lag by this much; money and state never do (see above).
PAGE_SECONDS = 60
# How long a pointer lives: the most a page can lag a write whose writer could
# not reach the cache.
POINTER_SECONDS = 2
# After a cache failure this worker skips the cache for a moment, so an outage
# costs one timeout per worker, not one per request.
RETRY_AFTER_FAILURE_SECONDS = 5.0

LIST_POINTER = "pointer:list"
SLUG_MAX_LENGTH = Campaign._meta.get_field("slug").max_length

_cache_down_until = 0.0


def forget_failures() -> None:
    """Use the cache again at once (tests call this between tests)."""
    global _cache_down_until
    _cache_down_until = 0.0


def campaign_pointer(slug: str) -> str:
    return f"pointer:campaign:{slug}"


def _new_token() -> int:
    return secrets.randbits(62)


def _cache_call(method: str, *args):
    """A cache call that never raises: a failure is logged and returns None."""
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


# Writers ----------------------------------------------------------------------


def pages_changed(*slugs: str) -> None:
    """The public pages of these campaigns (and the list) change with the
    current transaction: drop their pointers now, replace them after commit.

    Two cache calls, no query. Dropping first means a reader that comes between
    now and the commit tags what it stores with a token the commit replaces."""
    keys = [*(campaign_pointer(slug) for slug in slugs), LIST_POINTER]
    _cache_call("delete_many", keys)
    transaction.on_commit(
        lambda: _cache_call(
            "set_many", {key: _new_token() for key in keys}, POINTER_SECONDS
        ),
        robust=True,
    )


def _campaign_saved(sender, instance: Campaign, **kwargs) -> None:
    # Admin edits, publishing, deletion: anything saved through the ORM.
    pages_changed(instance.slug)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="page-cache")
    post_delete.connect(_campaign_saved, sender=Campaign, dispatch_uid="page-cache")


# Readers ----------------------------------------------------------------------


def cached_page(
    request: HttpRequest,
    *,
    pointer_key: str,
    entry_key: str,
    state: Callable[[datetime], tuple[tuple, datetime | None]],
    render: Callable[[], HttpResponse],
) -> HttpResponse:
    """The page stored under `entry_key` while `pointer_key` still holds its
    token, else `render()`'s, stored when it is a plain 200 meant for everyone.

    `state(now)` reads the database (one small query, only on a miss): a
    signature of the page's data and the deadline after which the page changes.
    It raises Http404 for a page that does not exist."""
    entry_key = f"page:{entry_key}:{translation.get_language() or '-'}"
    found = _cache_call("get_many", [pointer_key, entry_key])
    if found is None:  # the cache is down: render as if there were none
        return render()
    token, entry = found.get(pointer_key), found.get(entry_key)
    now = timezone.now()
    if token is not None and entry is not None:
        entry_token, _signature, expires, content, content_type = entry
        if entry_token == token and now.timestamp() < expires:
            return HttpResponse(content, content_type=content_type)
    if token is None:
        token = _new_token()
        if not _cache_call("add", pointer_key, token, POINTER_SECONDS):
            token = None  # another reader made one just now: store nothing
    signature, deadline = state(now)
    expires = now.timestamp() + PAGE_SECONDS
    if deadline is not None and deadline > now:
        expires = min(expires, deadline.timestamp())
    if entry is not None and token is not None:
        _token, entry_signature, entry_expires, content, content_type = entry
        if entry_signature == signature and now.timestamp() < entry_expires:
            # Unchanged since it was stored: tag it with the new pointer.
            value = (token, signature, entry_expires, content, content_type)
            _cache_call("set", entry_key, value, entry_expires - now.timestamp())
            return HttpResponse(content, content_type=content_type)
    response = render()
    timeout = expires - now.timestamp()
    if token is not None and timeout >= 1 and _is_public(request, response):
        value = (token, signature, expires, response.content, response["Content-Type"])
        _cache_call("set", entry_key, value, timeout)
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


def _stamp(moment: datetime | None) -> str:
    return "-" if moment is None else str(int(moment.timestamp() * 1_000_000))


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
        _column(name) for name in ("version", "updated_at", "closed_at", "deadline")
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
    # Raw SQL on purpose: this runs on every miss of the busiest pages, and the
    # ORM would cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def cache_campaign_page(view: Callable[..., HttpResponse]):
    """Serve a published campaign's page from the cache (no query on a hit)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        if len(slug) > SLUG_MAX_LENGTH:  # no such campaign: no cache keys for it
            raise Http404("No campaign here.")

        def state(now: datetime) -> tuple[tuple, datetime | None]:
            row = _fetch_one(_campaign_state_sql(), [slug, True])
            if row is None:
                raise Http404("No campaign here.")
            version, updated_at, closed_at, deadline = row
            deadline = _datetime(deadline)
            closed = closed_at is not None or (deadline is not None and deadline <= now)
            return (version, _stamp(_datetime(updated_at)), closed), deadline

        return cached_page(
            request,
            pointer_key=campaign_pointer(slug),
            entry_key=f"campaign:{slug}",
            state=state,
            render=lambda: view(request, slug),
        )

    return wrapper


def cache_campaign_list(view: Callable[..., HttpResponse]):
    """Serve the campaign list from the cache (no query on a hit)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        def state(now: datetime) -> tuple[tuple, datetime | None]:
            count, versions, updated, next_deadline = _fetch_one(
                _list_state_sql(), [connection.ops.adapt_datetimefield_value(now)]
            )
            next_deadline = _datetime(next_deadline)
            signature = (
                count,
                versions or 0,
                _stamp(_datetime(updated)),
                _stamp(next_deadline),
            )
            return signature, next_deadline

        return cached_page(
            request,
            pointer_key=LIST_POINTER,
            entry_key="list",
            state=state,
            render=lambda: view(request),
        )

    return wrapper
