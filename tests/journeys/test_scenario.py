"""Issue 5, end to end through the pages: a holder signs up and describes a project; advisors
of two structures follow them, log follow-ups, refer them from one to the other and move the
project to creation; the holder sees it all in « Mon parcours »."""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accompaniment.journeys.models import (
    CreationRecord,
    FollowUp,
    Holder,
    JourneyState,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
)
from tests.conftest import client_on
from tests.factories import CommuneFactory, EPCIFactory, QPVFactory

pytestmark = pytest.mark.django_db
HOST = "lille.localhost"
EMAIL = "samira.haddad@example.org"
PASSWORD = "un-projet-de-traiteur-2026"


def _sign_up_and_log_in() -> object:
    visitor = client_on(HOST)
    response = visitor.post("/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    path = link.group(0).split(HOST, 1)[1]
    assert visitor.post(path).status_code == 302
    assert EmailAddress.objects.get(email=EMAIL).verified
    holder = client_on(HOST)
    assert holder.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD}).status_code == 302
    return holder


def _post_ok(client, url: str, data: dict) -> None:
    response = client.post(url, data)
    errors = response.context and [f.errors for f in response.context.get("form", []) and [response.context["form"]]]
    assert response.status_code == 302, (url, response.status_code, errors)


def test_a_journey_across_two_structures(fabrique, personas):
    today = timezone.localdate()
    bge, initiative = personas.structure, personas.other_structure

    # 1. The holder signs up on the Fabrique's portal and describes the project.
    holder_client = _sign_up_and_log_in()
    assert holder_client.get(reverse("journeys:my_journey")).status_code == 200
    epci = EPCIFactory(siren="999700012", name="CA de Test")
    fabrique.perimeter.add(epci)
    commune = CommuneFactory(insee="99511", name="Testville", epci=epci, postal_codes=["99511"])
    qpv = QPVFactory(code="QN99511M", name="Quartier des Tests", communes=[commune], epcis=[epci])
    profile = {
        "first_name": "Samira",
        "last_name": "Haddad",
        "phone": "06 12 34 56 78",
        "birth_year": str(today.year + 1),  # a typo: refused, nothing written
        "situation": "job_seeker",
        "postcode": "99511",
        "lives_in_qpv": "yes",
        "qpv": qpv.pk,
        "contact_by_email": "on",
    }
    response = holder_client.post(reverse("journeys:profile"), profile)
    assert response.status_code == 200
    assert "futur" in response.content.decode()
    assert not Holder.objects.filter(last_name="Haddad").exists()
    _post_ok(holder_client, reverse("journeys:profile"), {**profile, "birth_year": "1992"})
    _post_ok(
        holder_client,
        reverse("journeys:project_create"),
        {
            "title": "Traiteur libanais à Roubaix",
            "description": "Plats à emporter et buffets pour les entreprises.",
            "sector": "food",
            "kind": "creation",
            "legal_form": "micro",
        },
    )
    file = Holder.objects.get(fabrique=fabrique, user__email=EMAIL)
    assert (file.commune, file.lives_in_qpv, file.qpv) == (commune, True, qpv)
    project = Project.objects.get(holder=file)
    assert project.state == JourneyState.AWARENESS

    # 2. A BGE advisor meets her and registers her: the duplicate (same e-mail) is found and linked.
    bge_client = client_on(HOST, personas.advisor)
    register = reverse("journeys:holder_register")
    identity = {
        "first_name": "Samira",
        "last_name": "Haddad",
        "email": EMAIL.upper(),
        "birth_year": 1992,
        "commune": commune.pk,
        "situation": "job_seeker",
        "lives_in_qpv_declared": "",
        "shares_file": "on",
    }
    response = bge_client.post(register, identity)
    assert response.status_code == 200
    assert "Haddad" in response.content.decode()  # the probable duplicate is shown
    _post_ok(bge_client, register, {**identity, "rattacher": str(file.pk)})
    assert Holder.objects.filter(fabrique=fabrique).count() == 1
    assert SupportLink.objects.live().filter(holder=file, organisation=bge).exists()

    # 3. BGE logs an interview and moves the project through emergence to structuring.
    _post_ok(
        bge_client,
        reverse("journeys:followup_create", kwargs={"pk": file.pk}),
        {
            "occurred_on": today.isoformat(),
            "kind": "interview",
            "duration_minutes": 60,
            "project": project.pk,
            "summary": "Idée claire, clientèle de bureaux repérée.",
            "next_step": "Chiffrer le matériel de cuisine",
            "next_step_due": (today + datetime.timedelta(days=14)).isoformat(),
            "is_shared": "on",
        },
    )
    transition = reverse("journeys:project_transition", kwargs={"pk": project.pk})
    prefix = f"projet-{project.pk}"
    for name in ("start_emergence", "start_structuring"):
        _post_ok(bge_client, transition, {f"{prefix}-transition": name, f"{prefix}-reason": "Entretien"})
    project.refresh_from_db()
    assert project.state == JourneyState.STRUCTURING

    # A transition not allowed from the current stage is refused in French and writes nothing.
    response = bge_client.post(transition, {f"{prefix}-transition": "start_post_creation"})
    assert response.status_code == 200
    assert StageTransition.objects.filter(project=project).count() == 3

    # 4. BGE refers her to Initiative for an honour loan, with her consent; Initiative accepts.
    _post_ok(
        bge_client,
        reverse("journeys:referral_create", kwargs={"pk": file.pk}),
        {
            "from_organisation": bge.pk,
            "to_organisation": initiative.pk,
            "project": project.pk,
            "need": "financing",
            "message": "Besoin d'un prêt d'honneur pour le matériel.",
            "holder_consented": "on",
        },
    )
    referral = Referral.objects.get(holder=file)
    assert referral.from_organisation == bge
    initiative_client = client_on(HOST, personas.other_structure_advisor)
    detail = reverse("journeys:referral_detail", kwargs={"pk": referral.pk})
    assert "Haddad" in initiative_client.get(detail).content.decode()
    _post_ok(initiative_client, detail, {"action": "accept"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert SupportLink.objects.live().filter(holder=file, organisation=initiative).exists()
    # Both see the outcome.
    assert "Acceptée" in bge_client.get(detail).content.decode()

    # 5. Initiative reads BGE's shared note once she agrees to share with Initiative too.
    file_url = reverse("journeys:holder_file", kwargs={"pk": file.pk})
    assert "clientèle de bureaux" not in initiative_client.get(file_url).content.decode()
    link = SupportLink.objects.get(holder=file, organisation=initiative)
    _post_ok(holder_client, reverse("journeys:my_structures"), {"link": link.pk, "action": "share"})
    assert "clientèle de bureaux" in initiative_client.get(file_url).content.decode()

    # 6. Initiative logs the committee, moves to financing, then records the creation.
    _post_ok(
        initiative_client,
        reverse("journeys:followup_create", kwargs={"pk": file.pk}),
        {"occurred_on": today.isoformat(), "kind": "committee", "project": project.pk, "summary": "Comité favorable."},
    )
    _post_ok(initiative_client, transition, {f"{prefix}-transition": "start_financing", f"{prefix}-reason": ""})
    creation = reverse("journeys:creation_record", kwargs={"pk": project.pk})
    bad = initiative_client.post(
        creation,
        {
            "organisation": initiative.pk,
            "siret": "12345678901235",
            "created_on": today.isoformat(),
            "legal_form": "micro",
            "jobs_at_creation": 1,
        },
    )
    assert bad.status_code == 200
    assert "clé de contrôle" in bad.content.decode()
    assert not CreationRecord.objects.exists()
    _post_ok(
        initiative_client,
        creation,
        {
            "organisation": initiative.pk,
            "siret": "73282932000074",
            "created_on": today.isoformat(),
            "legal_form": "micro",
            "jobs_at_creation": 2,
        },
    )
    project.refresh_from_db()
    assert project.state == JourneyState.CREATION
    assert PostCreationCheck.objects.filter(creation__project=project).count() == 4

    # 7. Every step is in the record, by the right people.
    path = list(StageTransition.objects.filter(project=project).values_list("to_state", "organisation"))
    assert path == [
        ("awareness", None),
        ("emergence", bge.pk),
        ("structuring", bge.pk),
        ("financing", initiative.pk),
        ("creation", initiative.pk),
    ]
    assert FollowUp.objects.filter(holder=file).count() == 2

    # 8. The holder sees the stage, both structures and the shared next step.
    page = holder_client.get(reverse("journeys:my_journey")).content.decode()
    assert "Création ou reprise" in page
    assert bge.name in page
    assert initiative.name in page
    assert "Chiffrer le matériel de cuisine" in page
