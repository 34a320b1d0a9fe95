"""Places: services that write them, selectors for a perimeter of EPCI, and their maps.

A place's QPV is never typed in: `place_locate` derives it from the coordinates by
point-in-polygon on the official QPV outlines (`territories.qpv_lookup`). Territories knows
nothing of tenants: callers pass the EPCI of a perimeter as ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territories import qpv_lookup
from territories.models import QPV, Commune, Place
from territories.svg_map import Bounds, MapArea, MapLabel, MapMarker, MapStyle, SvgMap

# Half-side of the small map of a place's surroundings.
PLACE_MAP_RADIUS_KM = 1.2


# ------------------------------------------------------------------------------ services
def place_locate(*, place: Place) -> Place:
    """Derive `place.qpv` from its coordinates (none without coordinates or outside every QPV).

    Saves only the QPV (with `update_fields`) when it changed and the place is already stored.
    """
    qpv = None
    if place.latitude is not None and place.longitude is not None:
        qpv = qpv_lookup.qpv_at(place.latitude, place.longitude)
    new_id = qpv.pk if qpv is not None else None
    if place.qpv_id != new_id:
        place.qpv = qpv
        if place.pk is not None:
            place.save(update_fields=["qpv", "updated_at"])
    return place


@transaction.atomic
def place_update_or_create(*, slug: str, values: Mapping[str, Any]) -> tuple[Place, bool]:
    """Create the place `slug` or update it with `values`, validated, then locate it in its QPV.

    `values` holds model fields (not `qpv`, which is derived). Returns the place and whether
    it was created.
    """
    if "qpv" in values or "qpv_id" in values:
        raise ValueError("The QPV of a place is derived from its coordinates, not given.")
    place = Place.objects.select_for_update().filter(slug=slug).first()
    created = place is None
    if place is None:
        place = Place(slug=slug)
    changed = created
    for name, value in values.items():
        if created or getattr(place, name) != value:
            setattr(place, name, value)
            changed = True
    if changed:
        place.full_clean()
        place.save()
    place_locate(place=place)
    return place, created


# ----------------------------------------------------------------------------- selectors
def places_in_perimeter(epci_ids: Iterable[int]) -> QuerySet[Place]:
    """Active places of a perimeter, with what a list or a map shows (no QPV outline)."""
    return (
        Place.objects.active()
        .in_epcis(epci_ids)
        .select_related("commune", "qpv")
        .defer("qpv__geometry", "description", "opening_hours", "accessibility_notes")
    )


def qpvs_in_perimeter(epci_ids: Iterable[int]) -> QuerySet[QPV]:
    """QPV of a perimeter, each once (the DISTINCT runs on ids, not on the outlines)."""
    return QPV.objects.filter(pk__in=QPV.objects.in_epcis(epci_ids).values("pk")).order_by("name")


def qpvs_in_box(epci_ids: Iterable[int], bounds: Bounds) -> QuerySet[QPV]:
    """QPV of a perimeter whose bounding box meets `bounds`."""
    return qpvs_in_perimeter(epci_ids).filter(
        min_longitude__lte=bounds.east,
        max_longitude__gte=bounds.west,
        min_latitude__lte=bounds.north,
        max_latitude__gte=bounds.south,
    )


def communes_with_places(places: QuerySet[Place]) -> QuerySet[Commune]:
    return Commune.objects.filter(pk__in=places.values("commune_id")).order_by("name")


# ------------------------------------------------------------------------------- maps
def _area(qpv: QPV, *, highlighted: bool = False) -> MapArea:
    return MapArea(key=qpv.code, label=f"{qpv.name} ({qpv.code})", geometry=qpv.geometry, highlighted=highlighted)


def _style(colour: str | None) -> MapStyle:
    return MapStyle(area_fill=colour, area_stroke=colour) if colour else MapStyle()


def perimeter_map(*, qpvs: Sequence[QPV], places: Sequence[Place], title: str, colour: str | None = None) -> SafeString:
    """The perimeter's QPV outlines and its places, numbered in the order of `places`.

    Places without coordinates are left out of the drawing (the page's list still names them);
    the communes of the places are written on the map for orientation.
    """
    located = [place for place in places if place.latitude is not None and place.longitude is not None]
    markers = [
        MapMarker(label=place.name, latitude=place.latitude, longitude=place.longitude, number=number)
        for number, place in enumerate(places, start=1)
        if place.latitude is not None and place.longitude is not None
    ]
    communes = {place.commune_id: place.commune for place in located}
    labels = [
        MapLabel(text=commune.name, latitude=commune.latitude, longitude=commune.longitude)
        for commune in communes.values()
        if commune.latitude is not None and commune.longitude is not None
    ]
    description = " ".join(
        [
            ngettext(
                "%(count)d quartier prioritaire de la politique de la ville (QPV) dessiné d'après son contour officiel.",
                "%(count)d quartiers prioritaires de la politique de la ville (QPV) dessinés d'après leur contour "
                "officiel.",
                len(qpvs),
            )
            % {"count": len(qpvs)},
            ngettext(
                "%(count)d lieu d'accueil, marqué par son numéro.",
                "%(count)d lieux d'accueil, marqués par leur numéro.",
                len(markers),
            )
            % {"count": len(markers)},
            _("La liste des quartiers et des lieux suit la carte."),
        ]
    )
    return SvgMap(
        title=title,
        description=description,
        areas=[_area(qpv) for qpv in qpvs],
        markers=markers,
        labels=labels,
        style=_style(colour),
        id_prefix="carte-perimetre",
    ).render()


def place_map(*, place: Place, qpvs: Sequence[QPV], colour: str | None = None) -> SafeString | None:
    """A small map of the surroundings of `place`: itself and the QPV nearby; None without coordinates."""
    if place.latitude is None or place.longitude is None:
        return None
    bounds = Bounds.around(latitude=place.latitude, longitude=place.longitude, radius_km=PLACE_MAP_RADIUS_KM)
    nearby = [qpv for qpv in qpvs if bounds.intersects(Bounds(*_qpv_box(qpv)))]
    if place.qpv_id is not None:
        description = _("Le lieu est situé dans le quartier prioritaire %(qpv)s, mis en évidence.") % {
            "qpv": place.qpv.name if place.qpv else ""
        }
    elif nearby:
        description = _("Le lieu est situé hors des quartiers prioritaires dessinés autour de lui.")
    else:
        description = _("Aucun quartier prioritaire à moins d'un kilomètre environ.")
    return SvgMap(
        title=_("Situation de %(place)s") % {"place": place.name},
        description=description,
        areas=[_area(qpv, highlighted=qpv.pk == place.qpv_id) for qpv in nearby],
        markers=[MapMarker(label=place.name, latitude=place.latitude, longitude=place.longitude)],
        bounds=bounds,
        width=480,
        max_height=480,
        padding=12,
        tolerance=0.4,
        style=_style(colour),
        id_prefix="carte-lieu",
    ).render()


def _qpv_box(qpv: QPV) -> tuple[float, float, float, float]:
    return (qpv.min_longitude, qpv.min_latitude, qpv.max_longitude, qpv.max_latitude)
