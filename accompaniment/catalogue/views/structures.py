"""Public search of support structures (/structures/) and their pages, per Fabrique and nationally.

Entries are fetched only through `structures_visible_in`, so a structure that does not serve
this Fabrique (or that it hides) is a 404 here.
"""

from __future__ import annotations

from itertools import groupby

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accompaniment.catalogue.filters import StructureFilter
from accompaniment.catalogue.indexes import STRUCTURES, CatalogueIndexes
from accompaniment.catalogue.models import Offer, Permanence, Structure
from accompaniment.catalogue.search import CACHE_HEADER, Cards, cached_region, search_page
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in

CARD_FIELDS = ("name", "slug", "network", "description", "commune__name")


def _card_rows() -> QuerySet[Structure]:
    return Structure.objects.select_related("commune").only(*CARD_FIELDS)


STRUCTURE_CARDS = Cards(template="catalogue/_structure_card.html", name="structure", rows=_card_rows)


@require_GET
def structure_list(request: HttpRequest) -> HttpResponse:
    fabrique = getattr(request, "fabrique", None)
    partial = bool(request.htmx)  # type: ignore[attr-defined]

    def render_region(indexes: CatalogueIndexes) -> str:
        communes = indexes.communes(fabrique) if fabrique is not None else None
        filterset = StructureFilter(request.GET, communes=communes)
        found = search_page(STRUCTURES, filterset, fabrique, query=request.GET, cards=STRUCTURE_CARDS, indexes=indexes)
        template = "catalogue/_structure_results.html" if partial else "catalogue/_structure_search.html"
        return render_to_string(template, found.context(), request=request)

    region, cached = cached_region("structures", fabrique, request.GET, partial=partial, render=render_region)
    if partial:
        response = HttpResponse(mark_safe(region))
    else:
        response = render(request, "catalogue/structure_list.html", {"search_region": mark_safe(region)})
    response[CACHE_HEADER] = cached
    return response


@require_GET
def structure_detail(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = getattr(request, "fabrique", None)
    queryset = structures_visible_in(fabrique).select_related("commune")
    try:
        structure = queryset.get(slug=slug)
    except Structure.DoesNotExist:
        raise Http404(_("Cette structure n'intervient pas sur ce portail.")) from None
    offers = list(
        Offer.objects.filter(structure=structure, is_active=True)
        .prefetch_related(Prefetch("places", to_attr="listed_places"))
        .order_by("theme", "title")
    )
    theme_names = dict(Offer.Theme.choices)
    offers_by_theme = [(theme_names[theme], list(items)) for theme, items in groupby(offers, key=lambda o: o.theme)]
    perimeter = set(fabrique.perimeter.values_list("pk", flat=True)) if fabrique is not None else set()
    permanences = [
        (permanence, permanence.place.is_active and permanence.place.commune.epci_id in perimeter)
        for permanence in Permanence.objects.filter(structure=structure, is_active=True)
        .select_related("place__commune")
        .defer("place__description")
        .order_by("place__name")
    ]
    aids = aid_schemes_visible_in(fabrique).filter(operator=structure).order_by("name").only("name", "slug", "summary")
    return render(
        request,
        "catalogue/structure_detail.html",
        {
            "structure": structure,
            "offers_by_theme": offers_by_theme,
            "permanences": permanences,
            "aids": aids,
        },
    )


urlpatterns = [
    path("structures/", structure_list, name="structure_list"),
    path("structures/<slug:slug>/", structure_detail, name="structure_detail"),
]
