"""The site's URLs, with uploaded photos read from the MEDIA_ROOT of the moment:
the site's own media route fixes MEDIA_ROOT when config.urls is imported, and
each browser test gives its photos a throwaway directory."""

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
