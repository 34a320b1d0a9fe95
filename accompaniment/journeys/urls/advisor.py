"""The advisors' side of the journeys: caseload, holder files, follow-ups, transitions, walk-ins."""

from django.urls import URLPattern, path

from accompaniment.journeys.views import caseload, followups, holder_file, walkins

urlpatterns: list[URLPattern] = [
    path("suivi/", caseload.caseload, name="caseload"),
    path("suivi/porteurs/nouveau/", caseload.holder_register, name="holder_register"),
    path("suivi/porteurs/<int:pk>/", holder_file.holder_file, name="holder_file"),
    path("suivi/porteurs/<int:pk>/actions/nouvelle/", followups.followup_create, name="followup_create"),
    path("suivi/actions/<int:pk>/etape-faite/", followups.followup_step_done, name="followup_next_step_done"),
    path("suivi/projets/<int:pk>/etape/", holder_file.project_transition, name="project_transition"),
    path("suivi/accueil/", walkins.walkin_list, name="walkin_list"),
    path("suivi/accueil/nouveau/", walkins.walkin_create, name="walkin_create"),
]
