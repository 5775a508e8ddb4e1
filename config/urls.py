import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import Http404
from django.urls import include, path, re_path
from django.views.defaults import page_not_found

from config.auth import LockoutAdminAuthenticationForm
from config.security import serve_media
from config.views import favicon, healthz, ping, robots_txt

# Guessing staff passwords meets a cool-off (config/auth.py).
admin.site.login_form = LockoutAdminAuthenticationForm
# A database outage answers 503 with Retry-After, never 500 (config/security.py).
handler500 = "config.security.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    # The staff login (donations.views.staff_login) before the admin's own.
    path("admin/", include("donations.staff_urls")),
    # Django's "view on site" shortcut (/admin/r/<type>/<id>/) redirected any
    # staff user to any object's address: drafts, donors' thank-you pages. Off;
    # a campaign's "View on site" is its team preview (campaigns/admin.py).
    re_path(r"^admin/r/", page_not_found, {"exception": Http404()}),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Public pages: English at /, the other languages under /pl/, /be/, /ru/, /uk/.
urlpatterns += i18n_patterns(
    path("", include("campaigns.urls")),
    path("", include("donations.urls")),
    prefix_default_language=False,
)

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # Uploaded photos: only files the photo pipeline rebuilt and renamed live here,
    # served with a sandboxing CSP, nosniff and a day's cache (config/security.py).
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$",
            serve_media,
        )
    ]
