from django.urls import path

from desk import views

app_name = "desk"

urlpatterns = [
    path("", views.desk, name="home"),
    path("p/<str:reference>/", views.pledge_card, name="pledge"),
    path("p/<str:reference>/receive/", views.receive, name="receive"),
    path("p/<str:reference>/cancel/", views.cancel, name="cancel"),
    path("c/<int:campaign_id>/gift/", views.gift, name="gift"),
    path("c/<int:campaign_id>/close/", views.close, name="close"),
    path("c/<int:campaign_id>/reopen/", views.reopen, name="reopen"),
    path("c/<int:campaign_id>/pledges.csv", views.export, name="export"),
]
