"""Catalogue management: structure managers edit their structures, offers and aids (`/gestion/`);
territory staff curate, import and export what their Fabrique shows (`/pilotage/catalogue/`).

Scoping: a manager reaches only structures whose organisation they manage *and* that serve
the current Fabrique; every object is fetched through a scoped queryset, anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accompaniment.catalogue import services
from accompaniment.catalogue.exporting import AID_HEADERS, STRUCTURE_HEADERS, catalogue_csv, catalogue_xlsx
from accompaniment.catalogue.forms import AidSchemeForm, CatalogueImportForm, CurationForm, OfferForm, StructureForm
from accompaniment.catalogue.importing import ImportPolicy, catalogue_import
from accompaniment.catalogue.models import AidScheme, Offer, Structure
from accompaniment.catalogue.selectors import aid_schemes_reaching, structures_serving, with_curation
from fabrique.access import fabrique_role_required
from fabrique.forms import form_add_service_errors
from fabrique.models import Fabrique, Membership, Role
from fabrique.perimeter import perimeter_places
from fabrique.tenancy import get_current_fabrique_or_404

manager_required = fabrique_role_required(Role.STRUCTURE_MANAGER)
territory_required = fabrique_role_required(Role.TERRITORY_STAFF)
# Import and export: the Fabrique's territory staff, or platform admins.
catalogue_staff_required = fabrique_role_required(Role.TERRITORY_STAFF, platform_admins=True)
CURATION_PAGE_SIZE = 50


# ------------------------------------------------------------------------------ scoping


def managed_structures(user: Any, fabrique: Fabrique) -> QuerySet[Structure]:
    """Structures whose organisation `user` manages and that serve `fabrique`."""
    manages = Membership.objects.active().filter(
        user=user, role=Role.STRUCTURE_MANAGER, organisation_id=OuterRef("organisation_id")
    )
    return structures_serving(fabrique).filter(Exists(manages))


# -------------------------------------------------------------------------- structures


@manager_required
def structure_list(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    structures = list(managed_structures(request.user, fabrique).select_related("organisation"))
    if len(structures) == 1:
        return redirect("catalogue:manage_structure_edit", slug=structures[0].slug)
    return render(request, "catalogue/manage/structure_list.html", {"structures": structures})


@manager_required
def structure_edit(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    structure = get_object_or_404(managed_structures(request.user, fabrique).select_related("organisation"), slug=slug)
    form = StructureForm(request.POST or None, instance=structure)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {name: data[name] for name in StructureForm.Meta.fields}
        try:
            services.structure_update(
                structure=Structure.objects.get(pk=structure.pk), values=values, siret=data["siret"]
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Fiche de la structure enregistrée."))
            return redirect("catalogue:manage_structure_edit", slug=structure.slug)
    return render(request, "catalogue/manage/structure_form.html", {"form": form, "structure": structure})


# ------------------------------------------------------------------------------- offers


def _managed_offers(request: HttpRequest, fabrique: Fabrique) -> QuerySet[Offer]:
    return Offer.objects.filter(structure__in=managed_structures(request.user, fabrique))


@manager_required
def offer_list(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    offers = _managed_offers(request, fabrique).select_related("structure").order_by("structure__name", "title")
    return render(request, "catalogue/manage/offer_list.html", {"offers": offers})


@manager_required
def offer_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    offer = get_object_or_404(_managed_offers(request, fabrique), pk=pk) if pk else None
    structures = managed_structures(request.user, fabrique)
    form = OfferForm(request.POST or None, instance=offer, structures=structures, places=perimeter_places(fabrique))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {name: data[name] for name in OfferForm.Meta.fields if name not in ("structure", "places")}
        try:
            if offer is None:
                services.offer_create(structure=data["structure"], values=values, places=data["places"])
            else:
                services.offer_update(
                    offer=Offer.objects.get(pk=offer.pk),
                    values={"structure": data["structure"], **values},
                    places=data["places"],
                )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Offre enregistrée."))
            return redirect("catalogue:manage_offer_list")
    return render(request, "catalogue/manage/offer_form.html", {"form": form, "offer": offer})


# -------------------------------------------------------------------------- aid schemes


def _managed_aids(request: HttpRequest, fabrique: Fabrique) -> QuerySet[AidScheme]:
    return AidScheme.objects.filter(operator__in=managed_structures(request.user, fabrique))


@manager_required
def aid_list(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    aids = _managed_aids(request, fabrique).select_related("operator").order_by("name")
    return render(request, "catalogue/manage/aid_list.html", {"aids": aids})


@manager_required
def aid_form(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    aid = get_object_or_404(_managed_aids(request, fabrique), slug=slug) if slug else None
    form = AidSchemeForm(request.POST or None, instance=aid, structures=managed_structures(request.user, fabrique))
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in AidSchemeForm.Meta.fields}
        try:
            if aid is None:
                areas = {"coverage_fabriques": [fabrique]} if values["coverage"] == AidScheme.Coverage.FABRIQUE else {}
                services.aid_scheme_create(values=values, coverage_areas=areas)
            else:
                current = AidScheme.objects.get(pk=aid.pk)
                becomes_local = values["coverage"] == AidScheme.Coverage.FABRIQUE and not (
                    current.coverage_fabriques.exists()
                )
                services.aid_scheme_update(
                    aid_scheme=current,
                    values=values,
                    coverage_areas={"coverage_fabriques": [fabrique]} if becomes_local else None,
                )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Aide enregistrée."))
            return redirect("catalogue:manage_aid_list")
    return render(request, "catalogue/manage/aid_form.html", {"form": form, "aid": aid})


# ----------------------------------------------------------------------------- curation


@territory_required
def curation_list(request: HttpRequest) -> HttpResponse:
    """One kind at a time (`?type=structures`, aids by default), searchable by name, 50 per page."""
    fabrique = get_current_fabrique_or_404(request)
    kind = "structures" if request.GET.get("type") == "structures" else "aides"
    query = request.GET.get("q", "").strip()[:100]
    entries: QuerySet[Any]
    if kind == "structures":
        entries = with_curation(structures_serving(fabrique), fabrique, "structure")
    else:
        entries = with_curation(aid_schemes_reaching(fabrique), fabrique, "aid_scheme")
    if query:
        entries = entries.filter(name__icontains=query)
    page = Paginator(entries.order_by("name", "pk"), CURATION_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalogue/manage/curation_list.html",
        {
            "page_obj": page,
            "kind": kind,
            "target": "structure" if kind == "structures" else "aid_scheme",
            "query": query,
        },
    )


def _curation(request: HttpRequest, entry: AidScheme | Structure, target: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    curation = entry.curations.filter(fabrique=fabrique).first()
    current = (
        "hidden" if curation and curation.is_hidden else "featured" if curation and curation.is_featured else "shown"
    )
    form = CurationForm(request.POST or None, initial={"choice": current})
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["choice"]
        services.curation_set(
            fabrique=fabrique,
            aid_scheme=entry if isinstance(entry, AidScheme) else None,
            structure=entry if isinstance(entry, Structure) else None,
            hidden=choice == "hidden",
            featured=choice == "featured",
        )
        messages.success(request, _("Choix enregistré pour « %s ».") % entry)
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "catalogue/manage/_curation_toggle.html",
                {"entry": entry, "target": target, "current": choice},
            )
        suffix = "?type=structures" if target == "structure" else ""
        return redirect(reverse("catalogue:manage_curation") + suffix)
    return render(
        request,
        "catalogue/manage/curation_form.html",
        {"form": form, "entry": entry, "target": target, "current": current},
    )


@territory_required
def curation_aid(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    return _curation(request, get_object_or_404(aid_schemes_reaching(fabrique), slug=slug), "aid_scheme")


@territory_required
def curation_structure(request: HttpRequest, slug: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    return _curation(request, get_object_or_404(structures_serving(fabrique), slug=slug), "structure")


# ----------------------------------------------------------------------- import, export


@catalogue_staff_required
def catalogue_import_view(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    is_platform = bool(getattr(request.user, "is_superuser", False))
    form = CatalogueImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = catalogue_import(
            content=upload.read(),
            filename=upload.name,
            policy=ImportPolicy(fabrique=None if is_platform else fabrique),
            dry_run=form.cleaned_data["dry_run"],
        )
    return render(
        request,
        "catalogue/manage/import.html",
        {
            "form": form,
            "report": report,
            "is_platform": is_platform,
            "aid_headers": AID_HEADERS,
            "structure_headers": STRUCTURE_HEADERS,
        },
    )


@require_GET
@catalogue_staff_required
def catalogue_export(request: HttpRequest, extension: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    if extension == "xlsx":
        response = HttpResponse(
            catalogue_xlsx(fabrique),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = f"catalogue-{fabrique.slug}.xlsx"
    else:
        kind = "structures" if request.GET.get("type") == "structures" else "aides"
        response = HttpResponse(catalogue_csv(fabrique, kind=kind), content_type="text/csv; charset=utf-8")
        filename = f"catalogue-{fabrique.slug}-{kind}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns: list[URLPattern] = [
    path("gestion/structure/", structure_list, name="manage_structure_list"),
    path("gestion/structure/<slug:slug>/", structure_edit, name="manage_structure_edit"),
    path("gestion/offres/", offer_list, name="manage_offer_list"),
    path("gestion/offres/nouvelle/", offer_form, name="manage_offer_create"),
    path("gestion/offres/<int:pk>/", offer_form, name="manage_offer_edit"),
    path("gestion/aides/", aid_list, name="manage_aid_list"),
    path("gestion/aides/nouvelle/", aid_form, name="manage_aid_create"),
    path("gestion/aides/<slug:slug>/", aid_form, name="manage_aid_edit"),
    path("pilotage/catalogue/", curation_list, name="manage_curation"),
    path("pilotage/catalogue/aides/<slug:slug>/", curation_aid, name="manage_curation_aid"),
    path("pilotage/catalogue/structures/<slug:slug>/", curation_structure, name="manage_curation_structure"),
    path("pilotage/catalogue/import/", catalogue_import_view, name="manage_import"),
    path("pilotage/catalogue/export.csv", catalogue_export, {"extension": "csv"}, name="manage_export_csv"),
    path("pilotage/catalogue/export.xlsx", catalogue_export, {"extension": "xlsx"}, name="manage_export_xlsx"),
]
