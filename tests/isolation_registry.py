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


# ------------------------------------------- « Quelle aide pour moi ? » questionnaire (issue 4)
REGISTRY += [
    NoTenantObject(
        "catalogue:questionnaire",
        "public form; its answers go to this browser's session only, no identifier in the URL or the form",
    ),
    NoTenantObject(
        "catalogue:questionnaire_results",
        "matches the session's own answers against the current portal's visible catalogue; no identifier in the URL",
    ),
    NoTenantObject("catalogue:questionnaire_forget", "erases the answers from this browser's session"),
]


# ------------------------------------------------------------- catalogue public search (issue 4)
def aid_scheme_in(fabrique: Fabrique) -> dict[str, str]:
    """An aid scheme covering `fabrique` only (coverage « Fabrique »), as URL kwargs."""
    from accompaniment.catalogue.models import AidScheme
    from tests.factories import AidSchemeFactory

    aid = AidSchemeFactory(coverage=AidScheme.Coverage.FABRIQUE)
    aid.coverage_fabriques.add(fabrique)
    return {"slug": aid.slug}


def structure_in(fabrique: Fabrique) -> dict[str, str]:
    """A structure whose organisation serves `fabrique` only, as URL kwargs."""
    from tests.factories import StructureFactory

    return {"slug": StructureFactory(fabriques=[fabrique]).slug}


REGISTRY += [
    NoTenantObject("catalogue:aid_list", "search among the aid schemes visible on the current portal, public"),
    NoTenantObject("catalogue:structure_list", "search among the structures visible on the current portal, public"),
    TenantObjectView("catalogue:aid_detail", aid_scheme_in, allowed_persona="holder"),
    TenantObjectView("catalogue:structure_detail", structure_in, allowed_persona="holder"),
]


# ------------------------------------------------------- catalogue management (issue 4)
def managed_structure_in(fabrique: Fabrique):  # -> Structure
    """A structure serving `fabrique`: the structure managers' organisation's own when one of them
    serves it (so that the `structure_manager` persona reaches it), else a new one serving only it."""
    from accompaniment.catalogue.models import Structure
    from fabrique.models import Organisation, Role
    from tests.factories import StructureFactory

    organisation = Organisation.objects.filter(
        fabriques=fabrique, memberships__role=Role.STRUCTURE_MANAGER, structure__isnull=True
    ).first()
    if organisation is not None:
        return StructureFactory(organisation=organisation, name=organisation.name)
    existing = Structure.objects.filter(
        organisation__fabriques=fabrique, organisation__memberships__role=Role.STRUCTURE_MANAGER
    ).first()
    return existing or StructureFactory(fabriques=[fabrique])


def managed_structure_kwargs(fabrique: Fabrique) -> dict[str, str]:
    return {"slug": managed_structure_in(fabrique).slug}


def managed_offer_in(fabrique: Fabrique) -> dict[str, int]:
    from tests.factories import OfferFactory

    return {"pk": OfferFactory(structure=managed_structure_in(fabrique)).pk}


def managed_aid_in(fabrique: Fabrique) -> dict[str, str]:
    from tests.factories import AidSchemeFactory

    return {"slug": AidSchemeFactory(operator=managed_structure_in(fabrique)).slug}


REGISTRY += [
    NoTenantObject("catalogue:manage_structure_list", "the structures the user manages in the current Fabrique"),
    NoTenantObject("catalogue:manage_offer_list", "offers of the structures the user manages in the current Fabrique"),
    NoTenantObject("catalogue:manage_offer_create", "creates an offer for one of the user's own structures"),
    NoTenantObject("catalogue:manage_aid_list", "aids operated by the structures the user manages here"),
    NoTenantObject("catalogue:manage_aid_create", "creates an aid operated by one of the user's own structures"),
    NoTenantObject("catalogue:manage_curation", "the current Fabrique's catalogue choices, territory staff only"),
    NoTenantObject("catalogue:manage_import", "upload form; territory staff import only aids of their own Fabrique"),
    NoTenantObject("catalogue:manage_export_csv", "public catalogue data the current Fabrique shows"),
    NoTenantObject("catalogue:manage_export_xlsx", "public catalogue data the current Fabrique shows"),
    TenantObjectView(
        "catalogue:manage_structure_edit",
        managed_structure_kwargs,
        allowed_persona="structure_manager",
        methods=("get", "post"),
    ),
    TenantObjectView(
        "catalogue:manage_offer_edit", managed_offer_in, allowed_persona="structure_manager", methods=("get", "post")
    ),
    TenantObjectView(
        "catalogue:manage_aid_edit", managed_aid_in, allowed_persona="structure_manager", methods=("get", "post")
    ),
    TenantObjectView(
        "catalogue:manage_curation_aid", aid_scheme_in, allowed_persona="territory_staff", methods=("get", "post")
    ),
    TenantObjectView(
        "catalogue:manage_curation_structure", structure_in, allowed_persona="territory_staff", methods=("get", "post")
    ),
]


# ------------------------------------------------------- holders' journeys (issue 5)
from tests import isolation_journeys_advisor, isolation_journeys_coordination, isolation_journeys_holder  # noqa: E402

REGISTRY += isolation_journeys_holder.REGISTRY + isolation_journeys_advisor.REGISTRY
REGISTRY += isolation_journeys_coordination.REGISTRY


# ------------------------------------------------------------------- appointments (issue 6)
from tests import isolation_appointments  # noqa: E402

REGISTRY += isolation_appointments.REGISTRY
