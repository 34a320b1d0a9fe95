"""The demo journeys: idempotent, in the MEL demo Fabrique, a project at every stage, fictitious people."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accompaniment.journeys.demo import DEMO_HOLDERS
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    FollowUp,
    Holder,
    JourneyState,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)
from fabrique.models import Fabrique, User
from fabrique.validators import validate_siret
from tests.conftest import client_on

pytestmark = pytest.mark.django_db

MODELS = (
    Holder,
    Project,
    StageTransition,
    SupportLink,
    FollowUp,
    Referral,
    FinancingRequest,
    CreationRecord,
    PostCreationCheck,
    WalkIn,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _seed(settings) -> str:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_journeys_are_idempotent_and_cover_every_stage(settings):
    output = _seed(settings)
    first = _counts()
    assert "Parcours de démonstration : 12 porteurs créés" in output

    assert "0 porteurs créés, 12 déjà présents" in _seed(settings)
    assert _counts() == first

    mel = Fabrique.objects.get(slug="mel")
    assert Holder.objects.for_fabrique(mel).count() == len(DEMO_HOLDERS) + 1  # and the demo holder account
    states = set(Project.objects.values_list("state", flat=True))
    assert {s.value for s in JourneyState} - states <= {JourneyState.REORIENTED_TRAINING}
    # Each project's history leads to its current stage.
    for project in Project.objects.all():
        last = StageTransition.objects.filter(project=project).order_by("at", "pk").last()
        assert last.to_state == project.state
    assert Referral.objects.filter(status=Referral.Status.PENDING).count() == 1
    assert Referral.objects.filter(status=Referral.Status.ACCEPTED).count() == 1
    granted = FinancingRequest.objects.get(status=FinancingRequest.Status.GRANTED)
    assert granted.aid_scheme.slug == "pret-honneur-initiative-lille-metropole-nord"
    assert CreationRecord.objects.count() >= 1
    for creation in CreationRecord.objects.all():
        validate_siret(creation.siret)
        assert sorted(creation.checks.values_list("months_after", flat=True)) == [6, 12, 24, 36]
    advisor = User.objects.get(email="conseiller@demo.fabrique.test")
    assert FollowUp.objects.filter(author=advisor).exists()
    assert FollowUp.objects.values("organisation").distinct().count() == 2
    assert not Holder.objects.exclude(email__endswith=("@exemple.test")).exclude(user__isnull=False).exists()


def test_the_demo_holder_account_sees_its_journey(settings):
    _seed(settings)
    user = User.objects.get(email="porteur@demo.fabrique.test")
    holder = Holder.objects.get(user=user)
    assert holder.projects.count() == 1

    response = client_on("mel.localhost", user).get("/mon-parcours/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Salon de coiffure afro à Roubaix" in page
    assert "votre référent est Julien Dufresne" in page


def test_with_the_geography_holders_live_in_mel_communes_and_walk_ins_are_at_demo_places(settings, geography):
    _seed(settings)
    first = _counts()
    mel = Fabrique.objects.get(slug="mel")
    perimeter = set(mel.perimeter.values_list("pk", flat=True))
    demo = Holder.objects.for_fabrique(mel).filter(email__endswith="@exemple.test").select_related("commune")
    assert all(h.commune is not None and h.commune.epci_id in perimeter for h in demo)
    assert demo.filter(lives_in_qpv=True, qpv__isnull=False).count() >= 6
    assert demo.filter(lives_in_qpv=False).exists()
    assert first["WalkIn"] >= 3
    assert not WalkIn.objects.exclude(place__slug__startswith="mel-").exists()

    _seed(settings)
    assert _counts() == first
