"""Catalogue URLs (French paths), one list per area so that each module owns its routes."""

from accompaniment.catalogue.views import aids, manage, questionnaire, structures

app_name = "catalogue"

urlpatterns = [
    *aids.urlpatterns,
    *structures.urlpatterns,
    *questionnaire.urlpatterns,
    *manage.urlpatterns,
]
