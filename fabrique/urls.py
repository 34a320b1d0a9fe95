"""Composition root of the URLs: every app's routes are mounted here."""

from django.contrib import admin
from django.urls import include, path

from fabrique import target_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("logo", views.logo, name="fabrique_logo"),
    path("styleguide/", views.styleguide, name="styleguide"),
    path("pilotage/objectifs/", target_views.target_list, name="target_list"),
    path("pilotage/objectifs/nouveau/", target_views.target_form, name="target_create"),
    path("pilotage/objectifs/<int:pk>/", target_views.target_form, name="target_update"),
    path("lieux/", include("accompaniment.places.urls")),
    path("quartiers/", include("accompaniment.eligibility.urls")),
    # aides/, structures/, quelle-aide-pour-moi/, gestion/…
    path("", include("accompaniment.catalogue.urls")),
    path("", include("accompaniment.journeys.urls")),
    path("", include("accompaniment.appointments.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
