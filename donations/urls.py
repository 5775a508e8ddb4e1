from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("c/<slug:slug>/give/", views.pledge, name="pledge"),
    path("thanks/<str:access_key>/", views.thanks, name="thanks"),
    path("thanks/<str:access_key>/qr.svg", views.thanks_qr, name="thanks_qr"),
]
