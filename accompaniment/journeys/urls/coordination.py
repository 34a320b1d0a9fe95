"""Coordination between structures: referrals, financing requests, creations and post-creation checks."""

from django.urls import URLPattern, path

from accompaniment.journeys.views import outcomes, referrals

urlpatterns: list[URLPattern] = [
    path("suivi/porteurs/<int:pk>/orienter/", referrals.referral_create, name="referral_create"),
    path("suivi/orientations/", referrals.referral_list, name="referral_list"),
    path("suivi/orientations/<int:pk>/", referrals.referral_detail, name="referral_detail"),
    path("suivi/projets/<int:pk>/financements/nouveau/", outcomes.financing_create, name="financing_create"),
    path("suivi/financements/<int:pk>/", outcomes.financing_update, name="financing_update"),
    path("suivi/projets/<int:pk>/creation/", outcomes.creation_record, name="creation_record"),
    path("suivi/points-apres-creation/", outcomes.check_list, name="check_list"),
    path("suivi/points-apres-creation/<int:pk>/", outcomes.check_update, name="check_update"),
]
