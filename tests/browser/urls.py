"""The site's URLs plus uploaded photos, which production serves from its web
server and Django serves only with DEBUG on: the browser tests run with DEBUG off
and still need to see the photos load."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from config.urls import handler500
from config.urls import urlpatterns as site_urlpatterns


def media(request, path):
    # MEDIA_ROOT is read per request: each test points it at its own directory.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", media),
    *site_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
