"""Holders' booking: choose a structure and a motive (or the first free slot of a theme near
them), a slot, confirm; their appointments, cancelled from the list or from the e-mail's link."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accompaniment.appointments import services
from accompaniment.appointments.access import holder_appointments
from accompaniment.appointments.forms import BookingForm, FirstSlotForm, ReasonForm
from accompaniment.appointments.models import Appointment, LocationMode
from accompaniment.appointments.slots import ADVISOR_ROLES, Slot, bookable_motives, first_slots, motive_slots
from accompaniment.journeys.holders import holder_file_for_account
from fabrique.access import fabrique_role_required
from fabrique.models import Fabrique, Membership, Role, User
from fabrique.perimeter import perimeter_places
from fabrique.tenancy import get_current_fabrique_or_404
from territories.models import Commune, Place

holder_required = fabrique_role_required(Role.HOLDER)
WEEK = 7


def places_of(fabrique: Fabrique) -> dict[int, Place]:
    return {place.pk: place for place in perimeter_places(fabrique).select_related("commune")}


def day_param(request: HttpRequest, name: str) -> dt.date:
    today = timezone.localdate()
    try:
        day = parse_date(request.GET.get(name, "")) or today
    except ValueError:
        day = today
    return max(today - dt.timedelta(days=366), min(day, today + dt.timedelta(days=366)))


def slot_query(slot: Slot) -> str:
    return urlencode(
        {
            "debut": int(slot.starts_at.timestamp()),
            "conseiller": slot.advisor_id,
            "mode": slot.mode,
            **({"lieu": slot.place_id} if slot.place_id else {}),
        }
    )


def start(request: HttpRequest) -> HttpResponse:
    """Structures and their motives bookable online, and the first free slot of a theme near me."""
    fabrique = get_current_fabrique_or_404(request)
    motives = bookable_motives(fabrique).order_by("organisation__structure__name", "name")
    structure_slug = request.GET.get("structure", "")[:120]
    if structure_slug:
        motives = motives.filter(organisation__structure__slug=structure_slug)
    place_slug = request.GET.get("lieu", "")[:120]
    if place_slug:  # from a place's page: the motives some advisor receives there
        motives = motives.filter(ranges__place__slug=place_slug).distinct()
    by_structure = [
        (structure, list(items)) for structure, items in groupby(motives, key=lambda m: m.organisation.structure)
    ]
    communes = Commune.objects.filter(epci__in=fabrique.perimeter.all()).order_by("name")
    searched = "theme" in request.GET or "commune" in request.GET
    form = FirstSlotForm(request.GET if searched else None, communes=communes)
    found = None
    if searched and form.is_valid():
        found = [
            (first, slot_query(first.slot))
            for first in first_slots(fabrique, theme=form.cleaned_data["theme"], commune=form.cleaned_data["commune"])
        ]
    return render(
        request,
        "appointments/start.html",
        {
            "by_structure": by_structure,
            "form": form,
            "found": found,
            "narrowed": bool(structure_slug or place_slug),
        },
    )


def slots(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    motive = get_object_or_404(bookable_motives(fabrique), pk=pk)
    first_day = day_param(request, "du")
    last_day = first_day + dt.timedelta(days=WEEK - 1)
    free = motive_slots(motive, start_day=first_day, end_day=last_day)
    places = places_of(fabrique)
    days = [
        (day, [(slot, slot_query(slot), places.get(slot.place_id or 0)) for slot in items])
        for day, items in groupby(free, key=lambda s: s.local_start.date())
    ]
    return render(
        request,
        "appointments/slots.html",
        {
            "motive": motive,
            "structure": motive.organisation.structure,
            "days": days,
            "first_day": first_day,
            "last_day": last_day,
            "previous": (first_day - dt.timedelta(days=WEEK)).isoformat() if first_day > timezone.localdate() else None,
            "next": (first_day + dt.timedelta(days=WEEK)).isoformat(),
        },
    )


@holder_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    motive = get_object_or_404(bookable_motives(fabrique), pk=pk)
    slots_url = reverse("appointments:slots", kwargs={"pk": motive.pk})
    form = BookingForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid() and request.method != "POST":
        # Reached without a slot (or with a broken one): say so, and offer the list.
        return render(request, "appointments/confirm.html", {"motive": motive, "slots_url": slots_url, "missing": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                fabrique=fabrique,
                holder=holder_file_for_account(request.user, fabrique),
                motive=motive,
                advisor_id=data["conseiller"],
                starts_at=data["debut"],
                mode=data["mode"],
                place_id=data["lieu"] if data["mode"] == LocationMode.PLACE else None,
                note=data["note"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request, _("Rendez-vous confirmé : vous allez recevoir un e-mail avec le fichier pour votre agenda.")
            )
            return redirect(reverse("appointments:mine") + f"#rdv-{appointment.pk}")
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    place_id, advisor_id = data.get("lieu") or 0, data.get("conseiller") or 0
    # Only the motive's structure's advisors and the Fabrique's places: the ids come from the query string.
    place = perimeter_places(fabrique).filter(pk=place_id).select_related("commune").first() if place_id else None
    advisor = (
        User.objects.filter(
            pk=advisor_id,
            memberships__in=Membership.objects.active().filter(
                organisation_id=motive.organisation_id, role__in=ADVISOR_ROLES
            ),
        ).first()
        if advisor_id
        else None
    )
    return render(
        request,
        "appointments/confirm.html",
        {
            "motive": motive,
            "form": form,
            "starts_at": data.get("debut"),
            "mode_label": LocationMode(data["mode"]).label if data.get("mode") else "",
            "place": place,
            "advisor": advisor,
            "slots_url": slots_url,
        },
    )


@holder_required
def mine(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    now = timezone.now()
    appointments = holder_appointments(request.user, fabrique).select_related(
        "motive", "organisation", "place__commune"
    )
    upcoming = appointments.filter(ends_at__gte=now).exclude(status=Appointment.Status.CANCELLED).order_by("starts_at")
    past = appointments.exclude(pk__in=upcoming.values("pk")).order_by("-starts_at")[:50]
    return render(request, "appointments/mine.html", {"upcoming": upcoming, "past": past, "now": now})


def _cancel_page(
    request: HttpRequest, appointment: Appointment, *, by: object, done_url: str, template_context: dict
) -> HttpResponse:
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, by=by, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Rendez-vous annulé. La place est libérée pour quelqu'un d'autre."))
            return redirect(done_url)
    return render(
        request,
        "appointments/cancel.html",
        {"appointment": appointment, "form": form, "cancellable": appointment.status == "booked", **template_context},
    )


@holder_required
def holder_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    appointment = get_object_or_404(
        holder_appointments(request.user, fabrique).select_related("motive", "organisation", "place"), pk=pk
    )
    mine_url = reverse("appointments:mine")
    return _cancel_page(request, appointment, by=request.user, done_url=mine_url, template_context={"back": mine_url})


def cancel_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's link: no login needed, the signed token is the proof (expiring, this Fabrique only)."""
    fabrique = get_current_fabrique_or_404(request)
    appointment = services.appointment_from_cancel_token(token, fabrique)
    if appointment is None:
        return render(request, "appointments/link_invalid.html", status=404)
    by = request.user if request.user.is_authenticated else None
    done = reverse("appointments:cancel_by_link", kwargs={"token": token})
    return _cancel_page(request, appointment, by=by, done_url=done, template_context={"by_link": True})


urlpatterns = [
    path("rendez-vous/", start, name="start"),
    path("rendez-vous/motif/<int:pk>/", slots, name="slots"),
    path("rendez-vous/motif/<int:pk>/confirmer/", confirm, name="confirm"),
    path("rendez-vous/annulation/<str:token>/", cancel_by_link, name="cancel_by_link"),
    path("mes-rendez-vous/", mine, name="mine"),
    path("mes-rendez-vous/<int:pk>/annuler/", holder_cancel, name="holder_cancel"),
]
