"""Public pages of the current Fabrique's places; they exist only on a Fabrique's portal.

A place belongs to a Fabrique through its perimeter (place → commune → EPCI): every object
is fetched through `places_in_perimeter`, so a place outside the perimeter is a 404 here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accompaniment.places.filters import PlaceFilter
from fabrique.models import Fabrique
from fabrique.tenancy import get_current_fabrique_or_404
from territories.models import Place
from territories.places import (
    PLACE_MAP_RADIUS_KM,
    communes_with_places,
    perimeter_map,
    place_map,
    places_in_perimeter,
    qpvs_in_box,
    qpvs_in_perimeter,
)
from territories.svg_map import Bounds

PLACES_PER_PAGE = 12


def _perimeter_ids(fabrique: Fabrique) -> list[int]:
    return list(fabrique.perimeter.values_list("pk", flat=True))


@require_GET
def place_list(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    places = places_in_perimeter(_perimeter_ids(fabrique))
    filterset = PlaceFilter(request.GET or None, queryset=places, communes=communes_with_places(places))
    page = Paginator(filterset.qs.order_by("name", "pk"), PLACES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "places/place_list.html", {"filter": filterset, "page_obj": page})


@require_GET
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    epci_ids = _perimeter_ids(fabrique)
    try:
        place = places_in_perimeter(epci_ids).defer(None).defer("qpv__geometry").get(slug=slug)
    except Place.DoesNotExist:
        raise Http404(_("Ce lieu n'existe pas sur le portail de cette Fabrique.")) from None
    svg = None
    if place.latitude is not None and place.longitude is not None:
        bounds = Bounds.around(latitude=place.latitude, longitude=place.longitude, radius_km=PLACE_MAP_RADIUS_KM)
        svg = place_map(place=place, qpvs=list(qpvs_in_box(epci_ids, bounds)), colour=fabrique.primary_colour)
    return render(request, "places/place_detail.html", {"place": place, "map_svg": svg})


@require_GET
def place_map_view(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    epci_ids = _perimeter_ids(fabrique)
    qpvs = list(qpvs_in_perimeter(epci_ids))
    places = list(places_in_perimeter(epci_ids).order_by("name", "pk"))
    svg = None
    if qpvs or places:
        title = _("Carte des quartiers prioritaires et des lieux d'accueil — %(fabrique)s") % {
            "fabrique": fabrique.short_name or fabrique.name
        }
        svg = perimeter_map(qpvs=qpvs, places=places, title=title, colour=fabrique.primary_colour)
    return render(request, "places/place_map.html", {"qpvs": qpvs, "places": places, "map_svg": svg})
