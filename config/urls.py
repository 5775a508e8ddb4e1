from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from campaigns import views as campaign_views

urlpatterns = [
    path("healthz", campaign_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("donations.urls")),
    path("", include("campaigns.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
