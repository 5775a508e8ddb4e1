from django.urls import path

from campaigns import share, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("page/<int:number>/", views.campaign_list, name="list_page"),
    path("c/<slug:slug>/poster/", share.poster, name="poster"),
    path("c/<slug:slug>/share/", share.share_page, name="share"),
    path("c/<slug:slug>/qr.svg", share.qr_svg, name="qr"),
    path("c/<slug:slug>/badge.svg", share.badge, name="badge"),
]
