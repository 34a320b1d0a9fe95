"""Isolation registry entries of the journeys views (advisor part); see tests/isolation_registry.py."""

from __future__ import annotations

from fabrique.models import Fabrique
from tests.isolation import NoTenantObject, TenantObjectView


def _support_actors(fabrique: Fabrique) -> list:
    """Every support actor serving `fabrique` (one is created for a Fabrique that has none),
    the advisors' structure first (the persona's structure was created first)."""
    from fabrique.models import Organisation
    from tests.factories import OrganisationFactory

    actors = list(Organisation.objects.filter(fabriques=fabrique, kind=Organisation.Kind.SUPPORT_ACTOR).order_by("pk"))
    return actors or [OrganisationFactory(fabriques=[fabrique])]


def followed_holder_in(fabrique: Fabrique):  # -> Holder
    """A holder of `fabrique` followed by every support actor serving it."""
    from tests.factories import holder_followed_by

    return holder_followed_by(fabrique, *_support_actors(fabrique))


def holder_kwargs(fabrique: Fabrique) -> dict[str, int]:
    return {"pk": followed_holder_in(fabrique).pk}


def project_kwargs(fabrique: Fabrique) -> dict[str, int]:
    from tests.factories import ProjectFactory

    return {"pk": ProjectFactory(holder=followed_holder_in(fabrique)).pk}


def followup_kwargs(fabrique: Fabrique) -> dict[str, int]:
    """A follow-up with an open next step, written by the first support actor (the advisor's)."""
    from django.utils import timezone

    from tests.factories import FollowUpFactory

    holder = followed_holder_in(fabrique)
    followup = FollowUpFactory(
        holder=holder,
        organisation=_support_actors(fabrique)[0],
        next_step="Envoyer le prévisionnel",
        next_step_due=timezone.localdate(),
    )
    return {"pk": followup.pk}


REGISTRY: list[TenantObjectView | NoTenantObject] = [
    NoTenantObject("journeys:caseload", "the holders the user's own structures follow in the current Fabrique"),
    NoTenantObject(
        "journeys:holder_register",
        "creates a file in the current Fabrique; links only to a file of the current Fabrique matching what was typed",
    ),
    NoTenantObject("journeys:walkin_list", "walk-ins at the current Fabrique's places (WalkIn.for_fabrique)"),
    NoTenantObject(
        "journeys:walkin_create",
        "creates a walk-in in the current Fabrique; its holder is chosen among the files the user sees here",
    ),
    TenantObjectView("journeys:holder_file", holder_kwargs, allowed_persona="advisor"),
    TenantObjectView("journeys:followup_create", holder_kwargs, allowed_persona="advisor", methods=("get", "post")),
    TenantObjectView("journeys:project_transition", project_kwargs, allowed_persona="advisor", methods=("get", "post")),
    TenantObjectView(
        "journeys:followup_next_step_done", followup_kwargs, allowed_persona="advisor", methods=("get", "post")
    ),
]
