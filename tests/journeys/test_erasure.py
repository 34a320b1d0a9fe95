"""A holder erases their file: identity and free text gone, anonymous statistics kept, no access left."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accompaniment.appointments.models import Appointment
from accompaniment.appointments.services import appointment_book
from accompaniment.journeys.holders import holder_file_for_account
from accompaniment.journeys.models import (
    CreationRecord,
    FollowUp,
    Holder,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
)
from accompaniment.journeys.projects import project_create
from tests.appointments.fixtures import at, make_desk, next_weekday
from tests.conftest import client_on
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db
HOST = "lille.localhost"
ERASE = reverse("journeys:erase")


@pytest.fixture
def full_file(fabrique, personas):
    """The holder persona's file with a bit of everything."""
    desk = make_desk(personas, fabrique)  # the holder's file, BGE's motive and Tuesday range
    holder = desk.holder
    holder.first_name, holder.last_name, holder.phone = "Samira", "Haddad", "0612345678"
    holder.birth_year, holder.street_address = 1990, "12 rue des Arts"
    holder.save()
    SupportLink.objects.create(holder=holder, organisation=personas.structure, origin="registered", shares_file=True)
    project = project_create(holder=holder, title="Traiteur libanais chez Samira", by=None, description="Buffets")
    FollowUpFactory(
        holder=holder,
        organisation=personas.structure,
        project=project,
        summary="Samira a des soucis de santé",
        next_step="Rappeler Samira",
        next_step_due=timezone.localdate() + dt.timedelta(days=7),
    )
    Referral.objects.create(
        holder=holder,
        project=project,
        from_organisation=personas.structure,
        to_organisation=personas.other_structure,
        need="financing",
        message="Samira cherche un prêt",
        holder_consented_at=timezone.now(),
        respond_by=timezone.localdate() + dt.timedelta(days=10),
    )
    creation = CreationRecord.objects.create(
        project=project,
        siret="73282932000074",
        created_on=dt.date(2025, 1, 6),
        legal_form="micro",
        jobs_at_creation=2,
        organisation=personas.structure,
    )
    PostCreationCheck.objects.create(creation=creation, months_after=6, due_on=dt.date(2025, 7, 6), notes="Va bien")
    appointment_book(
        fabrique=fabrique,
        holder=holder,
        motive=desk.motive,
        advisor_id=personas.advisor.pk,
        starts_at=at(next_weekday(1), 9, 30),
        mode="place",
        place_id=desk.place.pk,
        by=personas.holder,
    )
    return holder


def test_erasing_needs_an_explicit_confirmation(full_file, personas):
    client = client_on(HOST, personas.holder)
    response = client.post(ERASE, {})
    assert response.status_code == 200
    assert "Cochez la case" in response.content.decode()
    full_file.refresh_from_db()
    assert full_file.erased_at is None
    assert full_file.last_name == "Haddad"


def test_erasing_removes_identity_and_free_text_and_keeps_anonymous_statistics(full_file, personas, fabrique):
    client = client_on(HOST, personas.holder)
    assert client.get(ERASE).status_code == 200
    response = client.post(ERASE, {"confirm": "on"})
    assert response.status_code == 302

    holder = Holder.objects.get(pk=full_file.pk)
    assert holder.erased_at is not None
    assert (holder.first_name, holder.last_name, holder.email, holder.phone, holder.street_address) == ("",) * 5
    assert holder.user is None
    assert holder.birth_year == 1990  # statistics
    follow_up = FollowUp.objects.get(holder=holder)
    assert (follow_up.summary, follow_up.next_step, follow_up.next_step_due) == ("", "", None)
    referral = Referral.objects.get(holder=holder)
    assert (referral.message, referral.status) == ("", Referral.Status.CANCELLED)
    project = Project.objects.get(holder=holder)
    assert "Samira" not in project.title
    assert project.description == ""
    assert StageTransition.objects.filter(project=project).exists()  # the journey's history stays
    creation = CreationRecord.objects.get(project=project)
    assert creation.siret == ""
    assert creation.jobs_at_creation == 2
    assert PostCreationCheck.objects.get(creation=creation).notes == ""
    assert not SupportLink.objects.live().filter(holder=holder).exists()
    appointment = Appointment.objects.get(holder=holder)
    assert appointment.status == Appointment.Status.CANCELLED


def test_nobody_opens_an_erased_file(full_file, personas):
    client_on(HOST, personas.holder).post(ERASE, {"confirm": "on"})
    url = reverse("journeys:holder_file", kwargs={"pk": full_file.pk})
    assert client_on(HOST, personas.advisor).get(url).status_code == 404
    assert client_on(HOST, personas.territory_staff).get(url).status_code == 404
    caseload = client_on(HOST, personas.territory_staff).get(reverse("journeys:caseload"))
    assert caseload.context["page_obj"].paginator.count == 0


def test_coming_back_after_erasing_starts_a_new_empty_file(full_file, personas, fabrique):
    client = client_on(HOST, personas.holder)
    client.post(ERASE, {"confirm": "on"})
    fresh = holder_file_for_account(personas.holder, fabrique)
    assert fresh.pk != full_file.pk
    assert not fresh.projects.exists()
    page = client.get(reverse("journeys:my_journey")).content.decode()
    assert "Samira" not in page
