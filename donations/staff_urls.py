"""Staff pages routed under admin/, ahead of the admin's own (config/urls.py
includes this module by name: config never imports donations)."""

from django.urls import path

from donations import views

urlpatterns = [
    # The admin's login, after which a volunteer lands on the desk.
    path("login/", views.staff_login, name="staff_login"),
]
