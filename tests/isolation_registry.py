"""Every URL pattern of the project, classified for the isolation harness (see tests/isolation.py).

Each issue that adds a view registers it here. A `TenantObjectView` is checked for
404 across Fabriques for every persona; a `NoTenantObject` says why it needs no check.
"""

from __future__ import annotations

import datetime

from fabrique.models import Fabrique, FabriqueTarget
from tests.isolation import NoTenantObject, TenantObjectView


def _target(fabrique: Fabrique) -> dict[str, int]:
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
    TenantObjectView("target_update", _target, allowed_persona="territory_staff", methods=("get", "post")),
]
