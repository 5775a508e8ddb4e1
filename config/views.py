from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def ping(request: HttpRequest) -> HttpResponse:
    """A constant short answer through the full middleware stack, no database.

    The benchmark's yardstick: every other page is measured against it.
    """
    return HttpResponse("pong\n", content_type="text/plain")
