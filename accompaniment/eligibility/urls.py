from django.urls import path

from accompaniment.eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("verifier-mon-adresse/", views.check, name="check"),
    path("verifier-mon-adresse/declarer/", views.declare, name="declare"),
    path("verifier-mon-adresse/resultat/", views.result, name="result"),
]
