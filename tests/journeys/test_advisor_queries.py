"""Query counts of the advisors' list pages: a page costs the same whatever its number of rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    PostCreationCheck,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)
from tests.conftest import client_on
from tests.factories import (
    CommuneFactory,
    EPCIFactory,
    FollowUpFactory,
    HolderFactory,
    PlaceFactory,
    ProjectFactory,
    holder_followed_by,
)

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"


def _queries(client, url, params=None) -> int:
    client.get(url, params)  # warm: session, caches of the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def place(fabrique):
    epci = EPCIFactory()
    fabrique.perimeter.add(epci)
    return PlaceFactory(commune=CommuneFactory(epci=epci))


def _caseload_holders(fabrique, personas, place, count: int) -> None:
    today = timezone.localdate()
    for number in range(count):
        holder = holder_followed_by(
            fabrique, personas.structure, personas.other_structure, commune=place.commune, lives_in_qpv=bool(number % 2)
        )
        SupportLink.objects.filter(holder=holder).update(referent=personas.advisor)
        ProjectFactory(holder=holder)
        ProjectFactory(holder=holder, state="financing")
        FollowUpFactory(
            holder=holder,
            organisation=personas.structure,
            place=place,
            next_step="Relancer",
            next_step_due=today - datetime.timedelta(days=1),
        )
        FollowUpFactory(holder=holder, organisation=personas.other_structure)


@pytest.mark.parametrize("persona", ["advisor", "territory_staff"])
@pytest.mark.parametrize(
    "params", [None, {"etape": "financing", "qpv": "oui", "en_retard": "on", "tri": "contact_ancien", "q": "nom"}]
)
def test_caseload_costs_the_same_with_1_and_30_holders(fabrique, personas, place, persona, params):
    client = client_on(HOST, getattr(personas, persona))
    url = reverse("journeys:caseload")
    params = params and {**params, "lieu": place.pk}
    _caseload_holders(fabrique, personas, place, 1)
    if params:
        params["qpv"] = "non"  # the single holder (number 0) is not in a QPV
    one = _queries(client, url, params)
    _caseload_holders(fabrique, personas, place, 29)
    many = _queries(client, url, params)
    assert one == many
    page = client.get(url, params).context["page_obj"]
    assert page.paginator.count == (16 if params else 30)  # 1 + 15 of the 29 are outside a QPV


def _timeline_entries(holder, personas, place, count: int) -> None:
    now = timezone.now()
    for number in range(count):
        project = ProjectFactory(holder=holder)
        StageTransition.objects.create(project=project, from_state="", to_state="awareness", by=personas.advisor)
        FollowUpFactory(holder=holder, organisation=personas.structure, place=place, project=project)
        FollowUpFactory(holder=holder, organisation=personas.other_structure, is_shared=bool(number % 2))
        Referral.objects.create(
            holder=holder,
            project=project,
            from_organisation=personas.structure,
            to_organisation=personas.other_structure,
            need=Referral.Need.choices[number % len(Referral.Need.choices)][0],
            status=Referral.Status.ACCEPTED,
            responded_at=now,
            holder_consented_at=now,
            respond_by=now.date(),
        )
        FinancingRequest.objects.create(
            project=project, organisation=personas.structure, label=f"Prêt {number}", amount_requested=1000
        )
        creation = CreationRecord.objects.create(
            project=project,
            siret="73282932000074",
            created_on=now.date(),
            legal_form="micro",
            jobs_at_creation=1,
            organisation=personas.structure,
        )
        PostCreationCheck.objects.create(
            creation=creation, months_after=6, due_on=now.date(), done_at=now, is_active=True, jobs=2
        )
        WalkIn.objects.create(
            fabrique=holder.fabrique, place=place, holder=holder, reason="information", organisation=personas.structure
        )


@pytest.mark.parametrize("persona", ["advisor", "other_structure_advisor", "territory_staff"])
def test_the_holder_file_costs_the_same_with_1_and_50_entries_of_each_kind(fabrique, personas, place, persona):
    holder = holder_followed_by(fabrique, personas.structure, personas.other_structure)
    client = client_on(HOST, getattr(personas, persona))
    url = reverse("journeys:holder_file", kwargs={"pk": holder.pk})
    _timeline_entries(holder, personas, place, 1)
    one = _queries(client, url)
    _timeline_entries(holder, personas, place, 49)
    many = _queries(client, url)
    assert one == many
    whole = url + "?historique=complet"
    assert _queries(client, whole) == many
    assert len(client.get(whole).context["timeline"]) == 50 * 8


def test_walkin_list_costs_the_same_with_1_and_30_rows(fabrique, personas, place):
    client = client_on(HOST, personas.advisor)
    url = reverse("journeys:walkin_list")
    followed = holder_followed_by(fabrique, personas.structure)
    stranger = HolderFactory(fabrique=fabrique)

    def add(count: int) -> None:
        for number in range(count):
            WalkIn.objects.create(
                fabrique=fabrique,
                place=place,
                holder=(followed, stranger, None)[number % 3],
                reason="information",
                oriented_to=personas.other_structure,
                organisation=personas.structure,
            )

    add(1)
    one = _queries(client, url)
    add(29)
    assert _queries(client, url) == one
