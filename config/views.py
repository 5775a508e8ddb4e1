from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
def ping(request: HttpRequest) -> HttpResponse:
    """A constant short answer through the full middleware stack, no database.

    The benchmark's yardstick: every other page is measured against it.
    """
    return HttpResponse("pong\n", content_type="text/plain")


ROBOTS_TXT = """\
User-agent: *
Disallow: /admin/
Disallow: /desk/
Disallow: /*/desk/
Disallow: /thanks/
Disallow: /*/thanks/
Disallow: /stop-emails/
Disallow: /*/stop-emails/
"""


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Staff pages and donors' thank-you pages are nobody's search result.

    Campaigns that asked not to be indexed say so on their own pages (noindex).
    """
    return HttpResponse(ROBOTS_TXT, content_type="text/plain")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse(
            "database unavailable\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and crawlers ask for whatever the page says."""
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response


@lru_cache(maxsize=1)
def _favicon_bytes() -> bytes:
    return (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()
