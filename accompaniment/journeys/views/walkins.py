"""Walk-ins at the Fabrique's places: the reception log (`/suivi/accueil/`) and its form."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, CharField, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accompaniment.journeys import access
from accompaniment.journeys.forms_advisor import DATE_WIDGET, WalkInForm
from accompaniment.journeys.models import Referral, SupportLink, WalkIn
from accompaniment.journeys.timeline import labels
from accompaniment.journeys.views.advisor_common import (
    caseload_required,
    support_actors_serving,
    viewer_for,
)
from accompaniment.journeys.walkins import walkin_log
from fabrique.forms import form_add_service_errors
from fabrique.perimeter import perimeter_places

PAGE_SIZE = 50
RECENT_DAYS = 7


class WalkInFilterForm(forms.Form):
    lieu: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_lazy("Lieu"), queryset=None, required=False, empty_label=_lazy("Tous")
    )
    du = forms.DateField(label=_lazy("Du"), required=False, widget=DATE_WIDGET)
    au = forms.DateField(label=_lazy("Au"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: object, places: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["lieu"].queryset = places  # type: ignore[attr-defined]


@caseload_required
def walkin_list(request: HttpRequest) -> HttpResponse:
    """Today's and the last days' walk-ins at the Fabrique's places (or the chosen dates)."""
    viewer = viewer_for(request)
    today = timezone.localdate()
    form = WalkInFilterForm(request.GET or None, places=perimeter_places(viewer.fabrique))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start = data.get("du") or today - datetime.timedelta(days=RECENT_DAYS)
    end = data.get("au") or today
    walkins = WalkIn.objects.for_fabrique(viewer.fabrique).filter(
        occurred_at__date__gte=start, occurred_at__date__lte=end
    )
    if data.get("lieu"):
        walkins = walkins.filter(place=data["lieu"])
    # A holder's name only for those whose file the viewer may open; notes only for the logging structure.
    holder_visible: Any
    if viewer.is_territory_staff:
        holder_visible = Value(True, output_field=BooleanField())
    elif viewer.organisation_ids:
        holder_visible = Exists(
            SupportLink.objects.live().filter(
                holder_id=OuterRef("holder_id"), organisation_id__in=viewer.organisation_ids
            )
        )
    else:
        holder_visible = Value(False, output_field=BooleanField())
    own = Q(organisation_id__in=viewer.organisation_ids) if viewer.organisation_ids else None
    rows = (
        walkins.select_related("place", "oriented_to", "organisation", "holder")
        .defer("notes")
        .annotate(
            holder_is_visible=ExpressionWrapper(holder_visible, output_field=BooleanField()),
            readable_notes=Case(When(own, then=F("notes")), default=Value(""), output_field=CharField())
            if own is not None
            else Value("", output_field=CharField()),
        )
        .order_by("-occurred_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    reasons = labels(Referral.Need.choices)
    for walkin in page:
        walkin.reason_label = reasons[walkin.reason]  # type: ignore[attr-defined]
    return render(
        request,
        "journeys/advisor/walkin_list.html",
        {"form": form, "page_obj": page, "start": start, "end": end, "can_log": True},
    )


@caseload_required
def walkin_create(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    holders = access.holders_visible_to(request.user, viewer.fabrique)
    initial = {}
    if request.method == "GET" and request.GET.get("porteur", "").isdigit():
        initial["holder"] = request.GET["porteur"]
    form = WalkInForm(
        request.POST or None,
        initial=initial,
        places=perimeter_places(viewer.fabrique),
        holders=holders,
        actors=support_actors_serving(viewer.fabrique),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            walkin_log(
                fabrique=viewer.fabrique,
                place=data["place"],
                logged_by=request.user,
                organisation=viewer.organisations[0] if viewer.organisations else None,
                occurred_at=data["occurred_at"],
                holder=data["holder"],
                visitors=data["visitors"],
                reason=data["reason"],
                oriented_to=data["oriented_to"],
                notes=data["notes"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Passage enregistré."))
            return redirect("journeys:walkin_list")
    return render(request, "journeys/advisor/walkin_form.html", {"form": form})
