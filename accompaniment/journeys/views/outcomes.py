"""Financing requests, the creation record and post-creation checks, for advisors and structure managers.

A project is reached through a structure that follows its holder; a financing request or a
check through the structure that recorded it (or the creation). Everything else is a 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accompaniment.catalogue.selectors import aid_schemes_visible_in
from accompaniment.journeys import outcomes as services
from accompaniment.journeys.forms_coordination import CreationRecordForm, FinancingRequestForm, PostCreationCheckForm
from accompaniment.journeys.models import CreationRecord, FinancingRequest, PostCreationCheck, Project, SupportLink
from accompaniment.journeys.models.project import TRANSITIONS
from accompaniment.journeys.views.referrals import acting_or_404, advisor_required
from fabrique.forms import form_add_service_errors
from fabrique.models import Organisation

# Checks shown as "à venir" this many days ahead.
UPCOMING_CHECK_DAYS = 60


def _project_or_404(request: HttpRequest, pk: int) -> tuple[Project, list[Organisation]]:
    """The project of a holder one of the user's structures follows, and those structures."""
    fabrique, organisations = acting_or_404(request)
    followers = SupportLink.objects.live().filter(organisation__in=organisations)
    project = (
        Project.objects.for_fabrique(fabrique)
        .select_related("holder")
        .filter(holder__in=followers.values("holder_id"), pk=pk)
        .first()
    )
    if project is None:
        raise Http404
    following = set(followers.filter(holder_id=project.holder_id).values_list("organisation_id", flat=True))
    return project, [o for o in organisations if o.pk in following]


def _queryset_of(organisations: list[Organisation]) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=[o.pk for o in organisations]).order_by("name", "pk")


@advisor_required
@require_http_methods(["GET", "POST"])
def financing_create(request: HttpRequest, pk: int) -> HttpResponse:
    project, organisations = _project_or_404(request, pk)
    form = FinancingRequestForm(
        request.POST or None,
        project=project,
        organisations=_queryset_of(organisations),
        aid_schemes=aid_schemes_visible_in(project.holder.fabrique),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.financing_request_record(
                project=project,
                organisation=form.cleaned_data["organisation"],
                by=request.user,
                values=form.cleaned_data,
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Demande de financement enregistrée."))
            return redirect("journeys:creation_record", pk=project.pk)
    return render(
        request, "journeys/coordination/financing_form.html", {"form": form, "project": project, "financing": None}
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def financing_update(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    financing = (
        FinancingRequest.objects.for_fabrique(fabrique)
        .select_related("project__holder__fabrique", "aid_scheme", "organisation")
        .filter(organisation__in=organisations, pk=pk)
        .first()
    )
    if financing is None:
        raise Http404
    form = FinancingRequestForm(
        request.POST or None,
        instance=financing,
        project=financing.project,
        organisations=_queryset_of(organisations),
        aid_schemes=aid_schemes_visible_in(fabrique),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.financing_request_update(financing_request=financing, by=request.user, values=form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Demande de financement mise à jour."))
            return redirect("journeys:financing_update", pk=financing.pk)
    return render(
        request,
        "journeys/coordination/financing_form.html",
        {"form": form, "project": financing.project, "financing": financing},
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def creation_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's outcome page: its financing requests, and its creation (form, or record and checks)."""
    project, organisations = _project_or_404(request, pk)
    record = CreationRecord.objects.select_related("organisation").filter(project=project).first()
    form = None
    if record is None:
        form = CreationRecordForm(request.POST or None, organisations=_queryset_of(organisations))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.creation_record_create(
                    project=project,
                    siret=data["siret"],
                    created_on=data["created_on"],
                    legal_form=data["legal_form"],
                    jobs_at_creation=data["jobs_at_creation"],
                    organisation=data["organisation"],
                    by=request.user,
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Création enregistrée ; les points de suivi sont programmés."))
                return redirect("journeys:creation_record", pk=project.pk)
    elif request.method == "POST":
        messages.error(request, _("La création de ce projet est déjà enregistrée."))
        return redirect("journeys:creation_record", pk=project.pk)
    ids = [o.pk for o in organisations]
    return render(
        request,
        "journeys/coordination/creation_record.html",
        {
            "project": project,
            "record": record,
            "form": form,
            "can_record": project.state in TRANSITIONS["record_creation"][0],
            "checks": list(record.checks.all()) if record else [],
            "financing_requests": list(
                project.financing_requests.select_related("aid_scheme", "organisation").order_by("-created_at", "-pk")
            ),
            "organisation_ids": ids,
        },
    )


@advisor_required
@require_http_methods(["GET"])
def check_list(request: HttpRequest) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    today = timezone.localdate()
    checks = list(
        PostCreationCheck.objects.for_fabrique(fabrique)
        .filter(
            creation__organisation__in=organisations,
            done_at__isnull=True,
            due_on__lte=today + datetime.timedelta(days=UPCOMING_CHECK_DAYS),
        )
        .select_related("creation__project__holder", "creation__organisation")
        .order_by("due_on", "pk")[:500]
    )
    return render(
        request,
        "journeys/coordination/check_list.html",
        {
            "due": [c for c in checks if c.due_on <= today],
            "upcoming": [c for c in checks if c.due_on > today],
            "upcoming_days": UPCOMING_CHECK_DAYS,
        },
    )


@advisor_required
@require_http_methods(["GET", "POST"])
def check_update(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique, organisations = acting_or_404(request)
    check = (
        PostCreationCheck.objects.for_fabrique(fabrique)
        .select_related("creation__project__holder", "creation__organisation")
        .filter(creation__organisation__in=organisations, pk=pk)
        .first()
    )
    if check is None:
        raise Http404
    initial = {"is_active": check.is_active, "jobs": check.jobs, "closed_on": check.closed_on, "notes": check.notes}
    form = PostCreationCheckForm(request.POST or None, initial=initial if check.done_at else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.post_creation_check_complete(
                check=check,
                is_active=data["is_active"],
                jobs=data["jobs"],
                closed_on=data["closed_on"],
                notes=data["notes"],
                by=request.user,
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Point de suivi enregistré."))
            return redirect("journeys:check_list")
    return render(request, "journeys/coordination/check_form.html", {"form": form, "check": check})
