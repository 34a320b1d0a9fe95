"""What the advisors' views share: the role guards and who the viewer is in this Fabrique."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from accompaniment.journeys import access
from fabrique.access import fabrique_role_required
from fabrique.models import Fabrique, Organisation, Role
from fabrique.tenancy import get_current_fabrique_or_404

# Funder staff and holders get a 404 on every page of the advisors' side.
caseload_required = fabrique_role_required(Role.ADVISOR, Role.STRUCTURE_MANAGER, Role.TERRITORY_STAFF)
advisor_required = fabrique_role_required(Role.ADVISOR, Role.STRUCTURE_MANAGER)


@dataclass(frozen=True)
class Viewer:
    fabrique: Fabrique
    user: Any
    organisations: list[Organisation]  # the support actors they act for here
    is_territory_staff: bool

    @property
    def organisation_ids(self) -> list[int]:
        return [organisation.pk for organisation in self.organisations]

    @property
    def contact_scope(self) -> list[int] | None:
        """Whose follow-ups make "last contact": their structures', or anyone's for territory staff."""
        return None if self.is_territory_staff and not self.organisations else self.organisation_ids


def viewer_for(request: HttpRequest) -> Viewer:
    fabrique = get_current_fabrique_or_404(request)
    return Viewer(
        fabrique=fabrique,
        user=request.user,
        organisations=list(access.acting_organisations(request.user, fabrique)),
        is_territory_staff=access.is_territory_staff(request.user, fabrique),
    )


def support_actors_serving(fabrique: Fabrique) -> QuerySet[Organisation]:
    return Organisation.objects.filter(fabriques=fabrique, kind=Organisation.Kind.SUPPORT_ACTOR).order_by("name")
