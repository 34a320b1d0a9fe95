"""Isolation registry entries of the journeys views (holder part); see tests/isolation_registry.py."""

from __future__ import annotations

from fabrique.models import Fabrique, Membership, Role
from tests.isolation import NoTenantObject, TenantObjectView


def holder_project_in(fabrique: Fabrique) -> dict[str, int]:
    """A project in the file of `fabrique`'s `holder` persona (a holder is made for a Fabrique that has none)."""
    from accompaniment.journeys.holders import holder_file_for_account
    from accompaniment.journeys.projects import project_create
    from tests.factories import MembershipFactory

    membership = Membership.objects.filter(fabrique=fabrique, role=Role.HOLDER).order_by("pk").first()
    if membership is None:
        membership = MembershipFactory(role=Role.HOLDER, fabrique=fabrique)
    holder = holder_file_for_account(membership.user, fabrique)
    return {"pk": project_create(holder=holder, title="Épicerie solidaire", by=None).pk}


REGISTRY: list[TenantObjectView | NoTenantObject] = [
    NoTenantObject("journeys:my_journey", "the logged-in holder's own file in the current Fabrique"),
    NoTenantObject("journeys:profile", "edits the logged-in holder's own file in the current Fabrique"),
    NoTenantObject("journeys:project_create", "creates a project in the logged-in holder's own file"),
    TenantObjectView("journeys:project_update", holder_project_in, allowed_persona="holder", methods=("get", "post")),
    NoTenantObject(
        "journeys:my_structures",
        "links of the logged-in holder's own file; a posted link id is looked up among them only (else 404)",
    ),
    NoTenantObject("journeys:my_data", "exports the logged-in holder's own file in the current Fabrique"),
    NoTenantObject("journeys:erase", "erases the logged-in holder's own file in the current Fabrique"),
]
