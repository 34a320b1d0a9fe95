"""Mounted at /lieux/ by the composition root (fabrique.urls)."""

from django.urls import path

from accompaniment.places import views

app_name = "places"

urlpatterns = [
    path("", views.place_list, name="list"),
    path("carte/", views.place_map_view, name="map"),
    path("<slug:slug>/", views.place_detail, name="detail"),
]
