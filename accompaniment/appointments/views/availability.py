"""Availability: advisors edit their opening ranges and absences, structure managers those of
their structure's staff and its appointment motives."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.appointments.access import (
    editable_absences,
    editable_advisors,
    editable_motives,
    editable_ranges,
    managed_organisations,
    usable_motives,
)
from accompaniment.appointments.forms import AbsenceForm, MotiveForm, RangeForm
from accompaniment.appointments.views.agenda import advisor_required
from accompaniment.journeys.access import acting_organisations
from fabrique.access import fabrique_role_required
from fabrique.models import Role
from fabrique.perimeter import perimeter_places
from fabrique.tenancy import get_current_fabrique_or_404

manager_required = fabrique_role_required(Role.STRUCTURE_MANAGER)


@advisor_required
def overview(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    user = request.user
    ranges = (
        editable_ranges(user, fabrique)
        .select_related("advisor", "place", "organisation")
        .prefetch_related("motives")
        .order_by("advisor__last_name", "date", "weekday", "start_time", "pk")
    )
    absences = (
        editable_absences(user, fabrique)
        .filter(ends_at__gte=timezone.now())
        .select_related("advisor")
        .order_by("starts_at")
    )
    editable = set(editable_motives(user, fabrique).values_list("pk", flat=True))
    motives = [(m, m.pk in editable) for m in usable_motives(user, fabrique).order_by("organisation__name", "name")]
    return render(
        request,
        "appointments/availability.html",
        {
            "ranges": ranges,
            "absences": absences,
            "motives": motives,
            "manages": managed_organisations(user, fabrique).exists(),
        },
    )


def _save_or_delete(request: HttpRequest, form: Any, instance: Any, label: str) -> HttpResponse | None:
    """Delete when the delete button was used, else save a valid form, atomically (M2M included)."""
    if request.method != "POST":
        return None
    if instance is not None and "supprimer" in request.POST:
        try:
            instance.delete()
        except ProtectedError:
            messages.error(request, _("Impossible de supprimer : des rendez-vous y sont rattachés. Désactivez-le."))
            return None
        messages.success(request, _("%(label)s supprimé(e).") % {"label": label})
        return redirect("appointments:availability")
    if form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("%(label)s enregistré(e).") % {"label": label})
        return redirect("appointments:availability")
    return None


@advisor_required
def range_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    instance = get_object_or_404(editable_ranges(request.user, fabrique), pk=pk) if pk else None
    organisations = acting_organisations(request.user, fabrique)
    form = RangeForm(
        request.POST or None,
        instance=instance,
        initial={} if instance else {"advisor": request.user.pk},
        organisations=organisations,
        advisors=editable_advisors(request.user, fabrique),
        motives=usable_motives(request.user, fabrique).order_by("organisation__name", "name"),
        places=perimeter_places(fabrique),
        editor=request.user,
        managed=managed_organisations(request.user, fabrique),
    )
    done = _save_or_delete(request, form, instance, _("Plage d'ouverture"))
    return done or render(request, "appointments/range_form.html", {"form": form, "instance": instance})


@advisor_required
def absence_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    instance = get_object_or_404(editable_absences(request.user, fabrique), pk=pk) if pk else None
    form = AbsenceForm(
        request.POST or None,
        instance=instance,
        initial={} if instance else {"advisor": request.user.pk},
        organisations=acting_organisations(request.user, fabrique),
        advisors=editable_advisors(request.user, fabrique),
        editor=request.user,
        managed=managed_organisations(request.user, fabrique),
    )
    done = _save_or_delete(request, form, instance, _("Absence"))
    return done or render(request, "appointments/absence_form.html", {"form": form, "instance": instance})


@manager_required
def motive_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    instance = get_object_or_404(editable_motives(request.user, fabrique), pk=pk) if pk else None
    form = MotiveForm(
        request.POST or None, instance=instance, organisations=managed_organisations(request.user, fabrique)
    )
    done = _save_or_delete(request, form, instance, _("Motif"))
    return done or render(request, "appointments/motive_form.html", {"form": form, "instance": instance})


urlpatterns = [
    path("agenda/disponibilites/", overview, name="availability"),
    path("agenda/disponibilites/plages/nouvelle/", range_form, name="range_new"),
    path("agenda/disponibilites/plages/<int:pk>/", range_form, name="range_edit"),
    path("agenda/disponibilites/absences/nouvelle/", absence_form, name="absence_new"),
    path("agenda/disponibilites/absences/<int:pk>/", absence_form, name="absence_edit"),
    path("agenda/motifs/nouveau/", motive_form, name="motive_new"),
    path("agenda/motifs/<int:pk>/", motive_form, name="motive_edit"),
]
