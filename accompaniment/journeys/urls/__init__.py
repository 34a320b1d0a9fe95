"""URLs of the journeys: the holder's space, the advisors' caseload, referrals and outcomes."""

from accompaniment.journeys.urls import advisor, coordination, holder

app_name = "journeys"
urlpatterns = holder.urlpatterns + advisor.urlpatterns + coordination.urlpatterns
