"""Every URL pattern of the project, classified for the isolation harness (see tests/isolation.py).

Each issue that adds a view registers it here. A `TenantObjectView` is checked for
404 across Fabriques for every persona; a `NoTenantObject` says why it needs no check.
"""

from __future__ import annotations

import datetime

from fabrique.models import Fabrique, FabriqueTarget
from tests.isolation import NoTenantObject, TenantObjectView


def target_in(fabrique: Fabrique) -> dict[str, int]:
    """A target of `fabrique`, as URL kwargs."""
    target = FabriqueTarget.objects.create(
        fabrique=fabrique,
        indicator=FabriqueTarget.Indicator.HOLDERS_SUPPORTED,
        value=1100,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )
    return {"pk": target.pk}


REGISTRY: list[TenantObjectView | NoTenantObject] = [
    NoTenantObject("home", "the current Fabrique's own page (or the national list of public Fabrique names)"),
    NoTenantObject("healthz", "infrastructure status, no data"),
    NoTenantObject("robots_txt", "static text"),
    NoTenantObject("fabrique_logo", "the current Fabrique's own logo, resolved from the host"),
    NoTenantObject("styleguide", "static component gallery, platform staff only"),
    NoTenantObject("target_list", "the current Fabrique's targets, territory staff only"),
    NoTenantObject("target_create", "creates a target in the current Fabrique"),
    TenantObjectView("target_update", target_in, allowed_persona="territory_staff", methods=("get", "post")),
]


# ------------------------------------------------------------------- places (issue 3)
def place_in(fabrique: Fabrique) -> dict[str, str]:
    """A place in a commune of `fabrique`'s perimeter (an EPCI is added to it), as URL kwargs."""
    from tests.factories import CommuneFactory, EPCIFactory, PlaceFactory

    epci = EPCIFactory(siren=f"9998{fabrique.pk:05d}")  # never a real SIREN, whatever geography is loaded
    fabrique.perimeter.add(epci)
    place = PlaceFactory(commune=CommuneFactory(epci=epci))
    return {"slug": place.slug}


REGISTRY += [
    NoTenantObject("places:list", "the places of the current Fabrique's perimeter, public"),
    NoTenantObject("places:map", "map of the current Fabrique's perimeter, public"),
    TenantObjectView("places:detail", place_in, allowed_persona="holder"),
]


# ------------------------------------------------------ QPV membership of an address (issue 3)
REGISTRY += [
    NoTenantObject(
        "eligibility:check",
        "public form; geocodes the address typed in the request, reads no stored row by identifier",
    ),
    NoTenantObject(
        "eligibility:declare",
        "public form; creates a check from the request's own fields, no identifier in the URL or the form",
    ),
    NoTenantObject(
        "eligibility:result",
        "shows only the check whose id this browser's session holds (sessions are per host); never an id from the URL",
    ),
]
