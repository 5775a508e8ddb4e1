from django.http import HttpRequest, HttpResponse
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
"""


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Staff pages and donors' thank-you pages are nobody's search result.

    Campaigns that asked not to be indexed say so on their own pages (noindex).
    """
    return HttpResponse(ROBOTS_TXT, content_type="text/plain")
