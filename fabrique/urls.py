"""Composition root of the URLs: every app's routes are mounted here."""

from django.contrib import admin
from django.urls import include, path

from fabrique import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("logo", views.logo, name="fabrique_logo"),
    path("styleguide/", views.styleguide, name="styleguide"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
