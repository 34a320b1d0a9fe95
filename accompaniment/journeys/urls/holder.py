"""The holder's space: « Mon parcours » and what hangs from it (French paths)."""

from django.urls import URLPattern, path

from accompaniment.journeys.views import holder

urlpatterns: list[URLPattern] = [
    path("mon-parcours/", holder.my_journey, name="my_journey"),
    path("mon-parcours/profil/", holder.profile, name="profile"),
    path("mon-parcours/projets/nouveau/", holder.project_form, name="project_create"),
    path("mon-parcours/projets/<int:pk>/modifier/", holder.project_form, name="project_update"),
    path("mon-parcours/structures/", holder.my_structures, name="my_structures"),
    path("mon-parcours/mes-donnees/", holder.my_data, name="my_data"),
    path("mon-parcours/effacer-mon-dossier/", holder.erase, name="erase"),
]
