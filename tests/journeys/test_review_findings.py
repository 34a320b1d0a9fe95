"""Defects found in review of accompaniment/journeys: each test failed before its fix."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.journeys.models import FollowUp, JourneyState
from fabrique.models import Role
from tests.conftest import client_on
from tests.factories import MembershipFactory, ProjectFactory, holder_followed_by

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"


def _queries(client, url) -> int:
    client.get(url)  # warm: session, caches of the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_holder_file_of_a_two_structure_advisor_costs_the_same_with_1_and_8_projects(fabrique, personas):
    """Each project's transition form rendered its « au nom de la structure » select with its own
    queries (two per project) when the advisor acts for several structures following the holder."""
    MembershipFactory(role=Role.ADVISOR, organisation=personas.other_structure, user=personas.advisor, fabrique=None)
    holder = holder_followed_by(fabrique, personas.structure, personas.other_structure)
    ProjectFactory(holder=holder, state=JourneyState.FINANCING)
    client = client_on(HOST, personas.advisor)
    url = reverse("journeys:holder_file", kwargs={"pk": holder.pk})
    one = _queries(client, url)
    for _ in range(7):
        ProjectFactory(holder=holder, state=JourneyState.FINANCING)
    assert _queries(client, url) == one
    page = client.get(url).content.decode()
    # Both structures are still offered, in name order, in each of the 8 forms.
    assert page.count(f'value="{personas.structure.pk}"') == 8
    assert page.count(f'value="{personas.other_structure.pk}"') == 8


def test_a_follow_up_longer_than_a_day_is_refused_beside_the_duration_in_french(fabrique, personas):
    """A duration over 24 h reached the database constraint's generic message (naming the
    constraint, above the form) instead of a French error on the field."""
    holder = holder_followed_by(fabrique, personas.structure)
    response = client_on(HOST, personas.advisor).post(
        reverse("journeys:followup_create", kwargs={"pk": holder.pk}),
        {"occurred_on": "2024-01-01", "kind": "interview", "duration_minutes": "5000", "summary": "Entretien"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.non_field_errors()
    assert form.errors["duration_minutes"] == ["Une action dure au plus 24 heures (1440 minutes)."]
    assert "followup_duration_plausible" not in html.unescape(response.content.decode())
    assert not FollowUp.objects.exists()


def test_a_first_visit_racing_another_for_the_same_account_gets_the_one_file(fabrique, monkeypatch):
    """Two first requests of a new holder (two tabs, a double click) both found no file and both
    created one: the loser hit `one_holder_file_per_account`, an IntegrityError (500)."""
    from accompaniment.journeys.holders import holder_file_for_account
    from accompaniment.journeys.models import Holder
    from tests.factories import HolderFactory, UserFactory

    user = UserFactory(email="nouvelle@example.test")
    manager_class = type(Holder.objects)
    for_fabrique = manager_class.for_fabrique
    twins = []

    def not_there_yet(self, tenant):
        # The other request creates the file just after this one looked for it.
        monkeypatch.setattr(manager_class, "for_fabrique", for_fabrique)
        twins.append(HolderFactory(fabrique=tenant, user=user, email=user.email))
        return for_fabrique(self, tenant).none()

    monkeypatch.setattr(manager_class, "for_fabrique", not_there_yet)
    assert holder_file_for_account(user, fabrique) == twins[0]
    assert Holder.objects.filter(user=user).count() == 1


def test_a_check_s_observations_stay_with_the_structure_that_recorded_the_creation(fabrique, personas):
    import datetime as _dt

    from accompaniment.journeys.models import CreationRecord, PostCreationCheck

    holder = holder_followed_by(fabrique, personas.structure, personas.other_structure)
    project = ProjectFactory(holder=holder, state="creation")
    creation = CreationRecord.objects.create(
        project=project,
        siret="73282932000074",
        created_on=_dt.date(2025, 1, 6),
        legal_form="micro",
        jobs_at_creation=1,
        organisation=personas.structure,
    )
    PostCreationCheck.objects.create(
        creation=creation,
        months_after=6,
        due_on=_dt.date(2025, 7, 6),
        done_at=timezone.now(),
        is_active=True,
        jobs=2,
        notes="Difficultés de trésorerie passagères",
    )
    url = reverse("journeys:holder_file", kwargs={"pk": holder.pk})
    assert "trésorerie" in client_on(HOST, personas.advisor).get(url).content.decode()
    assert "trésorerie" not in client_on(HOST, personas.other_structure_advisor).get(url).content.decode()
    assert "trésorerie" not in client_on(HOST, personas.territory_staff).get(url).content.decode()
