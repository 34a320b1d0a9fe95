"""Isolation registry entries of the journeys views (coordination part); see tests/isolation_registry.py.

Objects are made in the given Fabrique between its support actors (two are created for a
Fabrique with fewer), so that the `advisor` persona's structure is among them on its own Fabrique.
"""

from __future__ import annotations

import datetime

from fabrique.models import Fabrique, Organisation, Role
from tests.isolation import NoTenantObject, TenantObjectView


def support_actors(fabrique: Fabrique) -> list[Organisation]:
    """The support actors serving `fabrique`, those with an advisor first (at least two)."""
    from tests.factories import OrganisationFactory

    actors = list(
        Organisation.objects.filter(fabriques=fabrique, kind=Organisation.Kind.SUPPORT_ACTOR).order_by("name", "pk")
    )
    while len(actors) < 2:
        actors.append(OrganisationFactory(fabriques=[fabrique]))
    with_advisor = {o.pk for o in actors if o.memberships.filter(role=Role.ADVISOR, is_active=True).exists()}
    return sorted(actors, key=lambda o: o.pk not in with_advisor)


def followed_holder(fabrique: Fabrique):  # -> Holder
    from tests.factories import holder_followed_by

    return holder_followed_by(fabrique, *support_actors(fabrique))


def holder_kwargs(fabrique: Fabrique) -> dict[str, int]:
    return {"pk": followed_holder(fabrique).pk}


def project_kwargs(fabrique: Fabrique) -> dict[str, int]:
    from tests.factories import ProjectFactory

    return {"pk": ProjectFactory(holder=followed_holder(fabrique), state="structuring").pk}


def referral_kwargs(fabrique: Fabrique) -> dict[str, int]:
    from accompaniment.journeys.models import Referral

    sender, target = support_actors(fabrique)[:2]
    referral = Referral.objects.create(
        holder=followed_holder(fabrique),
        from_organisation=sender,
        to_organisation=target,
        need=Referral.Need.FINANCING,
        holder_consented_at=datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC),
        respond_by=datetime.date(2026, 1, 15),
    )
    return {"pk": referral.pk}


def financing_kwargs(fabrique: Fabrique) -> dict[str, int]:
    from accompaniment.journeys.models import FinancingRequest
    from tests.factories import ProjectFactory

    project = ProjectFactory(holder=followed_holder(fabrique), state="financing")
    financing = FinancingRequest.objects.create(
        project=project, organisation=support_actors(fabrique)[0], label="Prêt d'honneur", amount_requested=5000
    )
    return {"pk": financing.pk}


def check_kwargs(fabrique: Fabrique) -> dict[str, int]:
    from accompaniment.journeys.models import CreationRecord, PostCreationCheck
    from tests.factories import ProjectFactory

    project = ProjectFactory(holder=followed_holder(fabrique), state="creation")
    creation = CreationRecord.objects.create(
        project=project,
        siret="73282932000074",
        created_on=datetime.date(2025, 1, 10),
        legal_form="micro",
        jobs_at_creation=1,
        organisation=support_actors(fabrique)[0],
    )
    check = PostCreationCheck.objects.create(creation=creation, months_after=6, due_on=datetime.date(2025, 7, 10))
    return {"pk": check.pk}


REGISTRY: list[TenantObjectView | NoTenantObject] = [
    TenantObjectView("journeys:referral_create", holder_kwargs, allowed_persona="advisor", methods=("get", "post")),
    NoTenantObject(
        "journeys:referral_list", "referrals sent or received by the user's own structures in this Fabrique"
    ),
    TenantObjectView("journeys:referral_detail", referral_kwargs, allowed_persona="advisor", methods=("get", "post")),
    TenantObjectView("journeys:financing_create", project_kwargs, allowed_persona="advisor", methods=("get", "post")),
    TenantObjectView("journeys:financing_update", financing_kwargs, allowed_persona="advisor", methods=("get", "post")),
    TenantObjectView("journeys:creation_record", project_kwargs, allowed_persona="advisor", methods=("get", "post")),
    NoTenantObject("journeys:check_list", "post-creation checks of creations recorded by the user's own structures"),
    TenantObjectView("journeys:check_update", check_kwargs, allowed_persona="advisor", methods=("get", "post")),
]
