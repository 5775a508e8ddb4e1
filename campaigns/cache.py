"""Whole public pages from the shared cache, served without a database query.

The campaign page and the list carry no form and nothing personal, so the HTML
is the same for every reader of one language. Next to each stored page sits a
*pointer*: a random token that changes whenever the page's data changes. An
entry stores the token it was rendered under, so a hit is one cache round trip
(`get_many` of the pointer and the entry) and no query:

    pointer == entry's token, and the entry's expiry not passed → serve it.

Writers (`pages_changed`, called inside the transaction of every write that
shows on a public page: donations.pledging, admin saves through the post_save
signal, the donor-data purge) set the pointers to new tokens after commit. A
reader that finds no pointer creates one (`add`, before it reads the database),
so every entry is tagged with a token that existed before its data was read: a
commit after that read replaces the token, and the entry no longer matches. A
donor's own pledge is therefore on the page as soon as they are redirected to
the thank-you page, which happens after the commit.

Pointers live POINTER_SECONDS (2 s) and are never extended. When one is missing
the reader asks the database for the campaign's `version`, `updated_at` and
closed state (one small query) and reuses the stored page if they are unchanged,
else renders it. That is what bounds staleness when a writer could not reach the
cache (an outage, a timeout): the page may lag that write by POINTER_SECONDS at
most, never longer, whichever server stored the entry. Entries expire after
PAGE_SECONDS at most ("3 days left") and never later than the deadline they show,
so "the collection is over" appears at the deadline's instant. When the cache
cannot be reached, pages are rendered as if there were no cache (fail open).

Same for the list's pages, with one pointer for all campaigns and, when it is
missing, the count of campaigns and of closed ones, the latest `updated_at` and
the next deadline of all campaigns. Money moves (pledges, receipts, expiry)
leave the list's pointer and `updated_at` alone: the cards' money may lag by
LIST_SECONDS, the campaign page never does.

PageCacheMiddleware does the reading, near the top of the middleware stack: a
hit costs that one round trip and none of the session, CSRF, auth or message
machinery. Views opt in with `cache_page_by`.

On Redis, each worker also keeps its own copies of the pages it has just served
from a hit, for LOCAL_SECONDS at most, so that most hits cost no round trip at
all. Writers announce the pointers they replace on a channel, in the same round
trip as the new pointers (config.cache.set_and_announce); before every hit the
worker reads what has been announced, without waiting, and drops the copies of
those pages. A copy is made only from a hit that Redis has just confirmed, and
only if nothing was announced while that hit was read; when the subscription
fails, every copy is dropped and none is made until a new one works. A write is
announced before its writer's response leaves, so a reader who comes after it
finds the announcement already waiting in every worker's socket. A writer that
could not reach Redis announced nothing: copies then live out their
LOCAL_SECONDS, after which the pointer rules above apply, so such a write shows
within LOCAL_SECONDS + POINTER_SECONDS.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from campaigns import rules
from campaigns.models import Campaign
from config import cache as config_cache
from config.i18n import redirects_to_preferred_language

logger = logging.getLogger(__name__)

# The longest a stored page lives: relative texts ("3 days left", "pledged
# yesterday") may lag by this much; money and state never do (see above).
PAGE_SECONDS = 60
# How long a pointer lives, and the longest a worker keeps its own copy of a
# page: together, the most a page can lag a write whose writer could not reach
# the cache (see above).
POINTER_SECONDS = 1
LOCAL_SECONDS = 1
# How many copies each worker keeps at most (a page is 5-20 KB).
LOCAL_COPIES = 256
# Where writers announce the pointers they replace.
CHANGES_CHANNEL = "pages-changed"
# The longest the list's cards may lag the money: pledges and receipts do not
# replace the list's pointer (a busy campaign would make every reader render
# it again), edits, publishing, closing and reopening do.
LIST_SECONDS = 30
LIST_POINTER = "pointer:list"
SLUG_MAX_LENGTH = Campaign._meta.get_field("slug").max_length


def forget_failures() -> None:
    """Use the cache again at once (tests call this between tests)."""
    config_cache.forget_failures()


def campaign_pointer(slug: str) -> str:
    return f"pointer:campaign:{slug}"


def _new_token() -> int:
    return secrets.randbits(62)


UNAVAILABLE = "Page cache unavailable, rendering without it"


def _cache_call(method: str, *args):
    """A cache call that never raises: a failure is logged and returns None, and
    this worker skips the cache for a few seconds (config.cache.call_cache)."""
    return config_cache.call_cache(
        lambda: getattr(cache, method)(*args),
        default=None,
        logger=logger,
        warning=UNAVAILABLE,
    )


# Writers ----------------------------------------------------------------------


def pages_changed(*slugs: str, list_too: bool = True) -> None:
    """The public pages of these campaigns (and the list, unless `list_too` is
    False: money moves, which the list shows LIST_SECONDS late at most) change
    with the current transaction: replace their pointers once it commits.

    One cache call, no query. Until the commit the stored pages are still
    right; a reader that renders them before it tags what it stores with a
    token the commit replaces. The writer's own response leaves after the
    commit, so its redirect lands on the new page."""
    keys = [campaign_pointer(slug) for slug in slugs]
    if list_too:
        keys.append(LIST_POINTER)
    transaction.on_commit(lambda: _replace_pointers(keys), robust=True)


def _replace_pointers(keys: list[str]) -> None:
    tokens = {key: _new_token() for key in keys}
    config_cache.call_cache(
        lambda: config_cache.set_and_announce(
            caches["default"], tokens, POINTER_SECONDS, CHANGES_CHANNEL
        ),
        default=None,
        logger=logger,
        warning=UNAVAILABLE,
    )
    # This worker's own copies go at once, whether or not Redis was reached.
    copies = _local_copies()
    if copies is not None:
        copies.forget(keys)


def _campaign_saved(sender, instance: Campaign, **kwargs) -> None:
    # Admin edits, publishing, deletion: anything saved through the ORM.
    pages_changed(instance.slug)


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="page-cache")
    post_delete.connect(_campaign_saved, sender=Campaign, dispatch_uid="page-cache")


# Readers ----------------------------------------------------------------------


@dataclass(frozen=True)
class CachedPage:
    """How one cacheable page is keyed and checked (see cache_page_by)."""

    pointer_key: str
    entry_key: str
    # state(now) reads the database (one small query, only on a miss): a
    # signature of the page's data and the deadline after which the page
    # changes, or None when there is no such page (the view answers 404).
    state: Callable[[datetime], tuple[tuple, datetime | None] | None]
    # The longest a stored copy is served (see PAGE_SECONDS, LIST_SECONDS).
    max_age: int = PAGE_SECONDS


def cache_page_by(page_for: Callable[..., CachedPage | None]):
    """Mark a view whose GET pages PageCacheMiddleware may store and serve.

    `page_for(**url_kwargs)` names the page; None means "do not cache this one".
    The view itself stays an ordinary view: it only runs on a miss."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        view.cached_page = page_for  # functools.wraps carries it outwards
        return view

    return decorator


class PageCacheMiddleware:
    """Serve stored public pages before sessions, CSRF, auth and messages run.

    Placed right after the middleware that adds the security headers (so those
    still apply to every page served from here) and before everything a public
    page does not need. For a GET of a view marked with `cache_page_by` it looks
    up the pointer and the entry in one cache round trip; on a hit it answers
    with the stored response, on a miss it lets the request go down the stack
    and stores what comes back, as the rest of the stack shaped it (language,
    Vary, framing headers), when it is a plain 200 meant for everyone.

    The language is the path's, as LocaleMiddleware decides it. An unprefixed
    (English) address that PreferredLanguageMiddleware would redirect, for a
    reader whose browser prefers another language and who came from outside the
    site, is never answered here: the stack redirects it as usual.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = self._page_for(request)
        if found is None:
            return self.get_response(request)
        page, language = found
        return self._serve(request, page, language)

    def _page_for(self, request: HttpRequest) -> tuple[CachedPage, str] | None:
        if request.method not in ("GET", "HEAD"):
            return None
        path = request.path_info
        language = translation.get_language_from_path(path)
        if language is None:
            if redirects_to_preferred_language(request):
                return None
            language = settings.LANGUAGE_CODE
        view = _cacheable_view(language, path)
        if view is None:
            return None
        page_for, kwargs = view
        page = page_for(**dict(kwargs))
        return None if page is None else (page, language)

    def _serve(self, request: HttpRequest, page: CachedPage, language: str):
        entry_key = f"page:{page.entry_key}:{language}"
        copies = _local_copies()
        if copies is not None and copies.catch_up():
            copy = copies.get(entry_key, time.time())
            if copy is not None:
                return _stored_response(*copy)
            announced = copies.announced
        else:
            copies = None
        found = _cache_call("get_many", [page.pointer_key, entry_key])
        if found is None:  # the cache is down: render as if there were none
            return self.get_response(request)
        token, entry = found.get(page.pointer_key), found.get(entry_key)
        now = timezone.now()
        if token is not None and entry is not None:
            entry_token, _signature, expires, content, headers = entry
            if entry_token == token and now.timestamp() < expires:
                if copies is not None:
                    until = min(expires, now.timestamp() + LOCAL_SECONDS)
                    copies.keep(
                        page.pointer_key, entry_key, until, content, headers, announced
                    )
                return _stored_response(content, headers)
        # As LocaleMiddleware will: an error page (a database outage below) is
        # then in the reader's language too.
        translation.activate(language)
        if token is None:
            token = _new_token()
            if not _cache_call("add", page.pointer_key, token, POINTER_SECONDS):
                token = None  # another reader made one just now: store nothing
        state = page.state(now)
        if state is None:  # no such page: the view says so (404)
            return self.get_response(request)
        signature, deadline = state
        if entry is not None and token is not None:
            _token, entry_signature, entry_expires, content, headers = entry
            if entry_signature == signature and now.timestamp() < entry_expires:
                # Unchanged since it was stored: tag it with the new pointer.
                value = (token, signature, entry_expires, content, headers)
                _cache_call("set", entry_key, value, entry_expires - now.timestamp())
                return _stored_response(content, headers)
        response = self.get_response(request)
        expires = now.timestamp() + page.max_age
        if deadline is not None and deadline > now:
            expires = min(expires, deadline.timestamp())
        timeout = expires - now.timestamp()
        if token is not None and timeout >= 1 and _is_public(request, response):
            value = (token, signature, expires, response.content, response.items())
            _cache_call("set", entry_key, value, timeout)
        return response


class _LocalCopies:
    """One worker thread's copies of pages it served from a confirmed hit (see
    above), dropped as writers announce changes.

    Django gives each thread its own cache backend; these live on it, so they
    are never shared between threads, and `pid` keeps a forked worker from
    reading its parent's subscription."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.subscription: config_cache.Subscription | None = None
        # entry key -> (pointer key, expires, content, headers)
        self.copies: dict[str, tuple[str, float, bytes, list]] = {}
        # Counts the announcements and failures read: a hit read while it
        # moved may be stale, and is not copied.
        self.announced = 0

    def catch_up(self) -> bool:
        """Apply every announcement made so far. False (and no copies) when
        there is no working subscription, or no new one could be made."""
        subscription = self.subscription
        if subscription is None or subscription.pid != os.getpid():
            if subscription is not None:
                # A parent's, inherited through fork: this closes only this
                # process's handle on its socket, never the parent's.
                subscription.close()
            self._drop_all()
            self.subscription = subscription = config_cache.call_cache(
                lambda: config_cache.Subscription(self.backend, CHANGES_CHANNEL),
                default=None,
                logger=logger,
                warning="Page cache announcements unavailable",
            )
            if subscription is None:
                return False
        try:
            changed = subscription.announced()
        except Exception as error:  # noqa: BLE001 - whatever it was, we missed some
            logger.warning(
                "Page cache announcements lost (%s); dropping this worker's copies",
                error.__class__.__name__,
            )
            subscription.close()
            self.subscription = None
            self._drop_all()
            return False
        if changed:
            self.forget(changed)
        return True

    def get(self, entry_key: str, now: float) -> tuple[bytes, list] | None:
        copy = self.copies.get(entry_key)
        if copy is None:
            return None
        _pointer_key, expires, content, headers = copy
        if now >= expires:
            del self.copies[entry_key]
            return None
        return content, headers

    def keep(self, pointer_key, entry_key, expires, content, headers, announced):
        """Keep a copy of a hit that was confirmed after `announced` was read,
        unless something was announced since (it may be about this page)."""
        if not self.catch_up() or self.announced != announced:
            return
        if len(self.copies) >= LOCAL_COPIES and entry_key not in self.copies:
            now = time.time()
            for key in [key for key, copy in self.copies.items() if copy[1] <= now]:
                del self.copies[key]
            if len(self.copies) >= LOCAL_COPIES:  # the oldest copy goes
                del self.copies[next(iter(self.copies))]
        self.copies[entry_key] = (pointer_key, expires, content, headers)

    def forget(self, pointer_keys) -> None:
        self.announced += 1
        changed = set(pointer_keys)
        for key in [key for key, copy in self.copies.items() if copy[0] in changed]:
            del self.copies[key]

    def _drop_all(self) -> None:
        self.announced += 1
        self.copies.clear()


def _local_copies() -> _LocalCopies | None:
    """This thread's copies, on a Redis cache only (where the announcements
    are); None on any other backend."""
    backend = caches["default"]
    if not isinstance(backend, config_cache.RedisCache):
        return None
    copies = backend.__dict__.get("page_copies")
    if copies is None:
        copies = backend.__dict__["page_copies"] = _LocalCopies(backend)
    return copies


@functools.lru_cache(maxsize=1024)
def _cacheable_view(language: str, path: str) -> tuple[Callable, tuple] | None:
    """The `cached_page` of the view at this path and its URL arguments, if it
    has one. The URLconf never changes while a worker runs, so each worker
    resolves a path once (the bounded cache keeps made-up paths from piling up)."""
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return None
    page_for = getattr(match.func, "cached_page", None)
    if page_for is None:
        return None
    return page_for, tuple(match.kwargs.items())


def _stored_response(content: bytes, headers) -> HttpResponse:
    response = HttpResponse(content)
    for name, value in headers:
        response.headers[name] = value
    return response


def _is_public(request: HttpRequest, response: HttpResponse) -> bool:
    """Only a page with nothing of this reader in it may be served to others: no
    CSRF token, no session read, no cookie, no caching headers of its own, and
    varying at most by Accept-Language (which _page_for decides on)."""
    session = getattr(request, "session", None)
    vary = {
        header.strip().lower()
        for header in response.get("Vary", "").split(",")
        if header.strip()
    }
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
        and vary <= {"accept-language"}
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
    # No version: it moves with every pledge; updated_at moves with edits,
    # publishing, closing and reopening only.
    aggregates = (
        f"COUNT(*), COUNT({_column('closed_at')}), MAX({_column('updated_at')}), "
        f"MIN(CASE WHEN {deadline} > %s THEN {deadline} END)"
    )
    return f"SELECT {aggregates} FROM {table}"  # noqa: S608 - names from the model


def _fetch_one(sql: str, params: list) -> tuple | None:
    # Raw SQL on purpose: this runs on every miss of the busiest pages, and the
    # ORM would cost more than the query itself.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def campaign_page(slug: str) -> CachedPage | None:
    """A published campaign's page (no query on a hit)."""
    if len(slug) > SLUG_MAX_LENGTH:  # no such campaign: no cache keys for it
        return None

    def state(now: datetime) -> tuple[tuple, datetime | None] | None:
        row = _fetch_one(_campaign_state_sql(), [slug, True])
        if row is None:
            return None
        version, updated_at, closed_at, deadline = row
        deadline = _datetime(deadline)
        closed = rules.is_closed(closed_at=closed_at, deadline=deadline, now=now)
        return (version, _stamp(_datetime(updated_at)), closed), deadline

    return CachedPage(campaign_pointer(slug), f"campaign:{slug}", state)


def campaign_list_page(number: int | None = None) -> CachedPage | None:
    """A page of the campaign list (no query on a hit). Its cards' money may
    lag by LIST_SECONDS: money moves do not drop the list (see above). The
    first page's address is the list's own: /page/1/ only redirects there."""
    if number == 1:
        return None
    number = number or 1

    def state(now: datetime) -> tuple[tuple, datetime | None]:
        count, closed, updated, next_deadline = _fetch_one(
            _list_state_sql(), [connection.ops.adapt_datetimefield_value(now)]
        )
        next_deadline = _datetime(next_deadline)
        signature = (
            count,
            closed,
            _stamp(_datetime(updated)),
            _stamp(next_deadline),
        )
        return signature, next_deadline

    return CachedPage(LIST_POINTER, f"list:{number}", state, LIST_SECONDS)
