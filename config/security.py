"""Security headers Django does not set itself, the client's real address, and
the error page that turns a database outage into a 503.

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

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.cache import add_never_cache_headers, patch_cache_control

logger = logging.getLogger(__name__)

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"

# The page's own <meta name="robots" content="noindex…">: the header follows it, so
# search engines that read only headers (or fetch a non-HTML resource) agree.
ROBOTS_NOINDEX_META = re.compile(
    rb"<meta\s+name=[\"']robots[\"']\s+content=[\"'][^\"']*noindex", re.IGNORECASE
)


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; `Cache-Control: no-store` on every admin
    response and wherever a view set `response.no_store = True`; X-Robots-Tag on
    pages that ask search engines not to index them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path.startswith(self.admin_prefix) or getattr(
            response, "no_store", False
        ):
            # Staff pages hold donors' names and emails: never keep them in a
            # browser's or proxy's cache.
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
