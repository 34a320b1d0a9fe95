"""Public search of aid schemes (/aides/) and their detail pages, per Fabrique and on the national portal.

Entries are fetched only through `aid_schemes_visible_in`, so an aid this portal does not show
is a 404 here. The filter form updates the results with htmx (a partial from the same view);
without JavaScript it is an ordinary GET form.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accompaniment.catalogue.filters import AidSchemeFilter
from accompaniment.catalogue.indexes import AIDS, CatalogueIndexes
from accompaniment.catalogue.models import AidScheme, Structure
from accompaniment.catalogue.search import CACHE_HEADER, Cards, cached_region, search_page
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in
from fabrique.models import Organisation

CARD_FIELDS = (
    "name",
    "slug",
    "kind",
    "summary",
    "amount_min",
    "amount_max",
    "requires_qpv_residence",
    "is_illustrative",
    "operator__name",
)


def _card_rows() -> QuerySet[AidScheme]:
    return AidScheme.objects.select_related("operator").only(*CARD_FIELDS)


AID_CARDS = Cards(template="catalogue/_aid_card.html", name="aid", rows=_card_rows)


@require_GET
def aid_list(request: HttpRequest) -> HttpResponse:
    fabrique = getattr(request, "fabrique", None)
    partial = bool(request.htmx)  # type: ignore[attr-defined]

    def render_region(indexes: CatalogueIndexes) -> str:
        communes = indexes.communes(fabrique) if fabrique is not None else None
        filterset = AidSchemeFilter(request.GET, communes=communes)
        found = search_page(AIDS, filterset, fabrique, query=request.GET, cards=AID_CARDS, indexes=indexes)
        template = "catalogue/_aid_results.html" if partial else "catalogue/_aid_search.html"
        return render_to_string(template, found.context(), request=request)

    region, cached = cached_region("aids", fabrique, request.GET, partial=partial, render=render_region)
    if partial:
        response = HttpResponse(mark_safe(region))
    else:
        response = render(request, "catalogue/aid_list.html", {"search_region": mark_safe(region)})
    response[CACHE_HEADER] = cached
    return response


@require_GET
def aid_detail(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = getattr(request, "fabrique", None)
    queryset = (
        aid_schemes_visible_in(fabrique)
        .select_related("operator")
        .prefetch_related(
            Prefetch("funders", queryset=Organisation.objects.only("name").order_by("name")),
            "coverage_regions",
            "coverage_departments",
            "coverage_epcis",
            "coverage_fabriques",
        )
    )
    try:
        aid = queryset.get(slug=slug)
    except AidScheme.DoesNotExist:
        raise Http404(_("Cette aide n'est pas proposée sur ce portail.")) from None
    # The operator's page is linked only when this portal shows it.
    operator: Structure | None = aid.operator
    operator_listed = operator is not None and structures_visible_in(fabrique).filter(pk=operator.pk).exists()
    return render(
        request, "catalogue/aid_detail.html", {"aid": aid, "operator": operator, "operator_listed": operator_listed}
    )


urlpatterns = [
    path("aides/", aid_list, name="aid_list"),
    path("aides/<slug:slug>/", aid_detail, name="aid_detail"),
]
