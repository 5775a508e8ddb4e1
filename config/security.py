"""Security headers Django does not set itself, the refusal of control
characters in a request, the client's real address, and the error page that
turns a database outage into a 503.

Django's SecurityMiddleware already sends HSTS, nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy; XFrameOptionsMiddleware sends X-Frame-Options and
ContentSecurityPolicyMiddleware the CSP. This module adds the rest.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

logger = logging.getLogger(__name__)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"

# The page's own <meta name="robots" content="noindex…">: the header follows it, so
# search engines that read only headers (or fetch a non-HTML resource) agree.
ROBOTS_NOINDEX_META = re.compile(
    rb"<meta\s+name=[\"']robots[\"']\s+content=[\"'][^\"']*noindex", re.IGNORECASE
)


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; `Cache-Control: no-store, private` on
    every staff response (the admin and the desk, in every language: their pages
    and the export carry donors' names and emails) and wherever a view set
    `response.no_store = True`; X-Robots-Tag on pages that ask search engines
    not to index them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.staff_prefixes = (
            "/admin/",
            "/desk/",
            *(f"/{code}/desk/" for code, _name in settings.LANGUAGES),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith(self.staff_prefixes) or getattr(
            response, "no_store", False
        ):
            # Never keep donor data in a browser's or proxy's cache.
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        if (
            "X-Robots-Tag" not in response.headers
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and ROBOTS_NOINDEX_META.search(response.content)
        ):
            response.headers["X-Robots-Tag"] = "noindex"
        return response


# C0 control characters and DEL. No address, cookie or form field of ours holds
# one, and PostgreSQL refuses NUL in any text (a DataError, so a 500, wherever a
# view or the session store queries with it). A tab may be pasted into a search
# box: the query string lets that one through.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
QUERY_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    """A plain 400 for a control character in the path, the query string or a
    cookie, before the session, the page cache or any view
    reads them. Near the top of the stack; no query, no template."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._holds_control_characters(request):
            return HttpResponseBadRequest(
                "Bad request: control characters in the address or the cookies.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _holds_control_characters(request: HttpRequest) -> bool:
        if CONTROL_CHARACTERS.search(request.path):
            return True
        # Decoded as a whole: parsing it into fields would refuse a query of
        # thousands of them, which no view reads.
        query = unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")
        if QUERY_CONTROL_CHARACTERS.search(query):
            return True
        # The raw header (a NUL between cookies) and each value as Django
        # reads it (a quoted cookie's "\000" escape becomes a NUL).
        if CONTROL_CHARACTERS.search(request.META.get("HTTP_COOKIE", "")):
            return True
        return any(
            CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value)
            for name, value in request.COOKIES.items()
        )


# Uploaded photos: never a document that runs anything, even if a file slipped
# through the photo pipeline (sandbox: no script, no form, no plugin, and a
# unique origin). Their names are random and never reused, so a day is safe.
MEDIA_CSP = "default-src 'none'; sandbox"
MEDIA_MAX_AGE = 24 * 3600


@require_safe
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """An uploaded photo from MEDIA_ROOT (when the app serves them, SERVE_MEDIA).

    static.serve refuses paths outside MEDIA_ROOT (404) and answers 304 to a
    matching If-Modified-Since. MEDIA_ROOT is read per request, so a test can
    point it at a temporary folder."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = MEDIA_CSP
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=MEDIA_MAX_AGE)
    return response


def client_address(request: HttpRequest) -> str:
    """The address of the client, as seen by the outermost trusted proxy.

    Behind `TRUSTED_PROXY_COUNT` proxies, each appends the address it received
    from to X-Forwarded-For, so the client's real address is that many entries
    from the right; anything further left was written by the client and is not
    trusted. IPv6 addresses are grouped by /64, the block one subscriber gets.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded:
            address = forwarded[-min(proxies, len(forwarded))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


DATABASE_ERRORS = (OperationalError, InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a 503 with Retry-After, anything else a 500.

    Django calls this inside its `except` block, so `sys.exc_info()` names the
    error. Neither template touches the database or the session.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return service_unavailable(request)
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render())


def service_unavailable(request: HttpRequest) -> HttpResponse:
    retry_after = getattr(settings, "ZBOR_RETRY_AFTER_SECONDS", 10)
    template = loader.get_template("503.html")
    response = HttpResponse(template.render({"retry_after": retry_after}), status=503)
    response.headers["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response
