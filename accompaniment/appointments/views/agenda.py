"""Advisors' agenda: day and week (per place, per advisor), an appointment's page with its
outcome, cancelling, moving, booking on a holder's behalf, and the secret ICS feed."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accompaniment.appointments import services
from accompaniment.appointments.access import agenda_appointments, colleagues, usable_motives
from accompaniment.appointments.forms import AdvisorBookingForm, OutcomeForm, ReasonForm, RescheduleForm
from accompaniment.appointments.ics import calendar
from accompaniment.appointments.models import AgendaFeed, Appointment
from accompaniment.appointments.slots import PARIS, motive_slots
from accompaniment.appointments.tasks import appointment_event
from accompaniment.appointments.views.booking import day_param
from accompaniment.journeys.access import acting_organisations, holders_visible_to
from fabrique.access import fabrique_role_required
from fabrique.models import Role
from fabrique.perimeter import perimeter_places
from fabrique.tenancy import get_current_fabrique_or_404

advisor_required = fabrique_role_required(Role.ADVISOR, Role.STRUCTURE_MANAGER)
ALL = "tous"
OUTCOMES = {
    "seen": services.appointment_mark_seen,
    "no_show": services.appointment_mark_no_show,
    "excused": services.appointment_mark_excused,
}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).replace(tzinfo=PARIS)


def _get(request: HttpRequest, pk: int) -> Appointment:
    fabrique = get_current_fabrique_or_404(request)
    return get_object_or_404(
        agenda_appointments(request.user, fabrique).select_related(
            "holder", "motive", "organisation", "place__commune", "advisor", "rescheduled_from"
        ),
        pk=pk,
    )


def _agenda(request: HttpRequest, days: int, template: str) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    first_day = day_param(request, "jour")
    if days == 7:
        first_day -= dt.timedelta(days=first_day.weekday())
    last_day = first_day + dt.timedelta(days=days - 1)
    team = list(colleagues(acting_organisations(request.user, fabrique)))
    chosen = request.GET.get("conseiller", "")
    appointments = (
        agenda_appointments(request.user, fabrique)
        .filter(starts_at__gte=_midnight(first_day), starts_at__lt=_midnight(last_day + dt.timedelta(days=1)))
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("holder", "motive", "place", "advisor")
        .order_by("starts_at", "pk")
    )
    if chosen != ALL:
        advisor_id = next((u.pk for u in team if str(u.pk) == chosen), request.user.pk)
        appointments = appointments.filter(advisor_id=advisor_id)
        chosen = str(advisor_id)
    places = list(perimeter_places(fabrique))
    place_id = request.GET.get("lieu", "")
    if place_id and any(str(p.pk) == place_id for p in places):
        appointments = appointments.filter(place_id=int(place_id))
    by_day = {day: list(items) for day, items in groupby(appointments, key=lambda a: timezone.localdate(a.starts_at))}
    calendar_days = [(first_day + dt.timedelta(days=n)) for n in range(days)]
    step = dt.timedelta(days=days)
    return render(
        request,
        template,
        {
            "days": [(day, by_day.get(day, [])) for day in calendar_days],
            "first_day": first_day,
            "last_day": last_day,
            "previous": (first_day - step).isoformat(),
            "next": (first_day + step).isoformat(),
            "team": team,
            "chosen": chosen,
            "all_value": ALL,
            "places": places,
            "place_id": place_id,
            "today": timezone.localdate(),
        },
    )


@advisor_required
def day(request: HttpRequest) -> HttpResponse:
    return _agenda(request, 1, "appointments/agenda_day.html")


@advisor_required
def week(request: HttpRequest) -> HttpResponse:
    return _agenda(request, 7, "appointments/agenda_week.html")


@advisor_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _get(request, pk)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = OUTCOMES[form.cleaned_data["action"]]
        try:
            action(appointment=appointment, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Statut du rendez-vous enregistré."))
            return redirect("appointments:agenda_detail", pk=appointment.pk)
    return render(
        request,
        "appointments/agenda_detail.html",
        {
            "appointment": appointment,
            "form": form,
            "started": appointment.starts_at <= timezone.now(),
            "holder_visible": holders_visible_to(request.user, get_current_fabrique_or_404(request))
            .filter(pk=appointment.holder_id)
            .exists(),
        },
    )


@advisor_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _get(request, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Rendez-vous annulé ; le porteur est prévenu par e-mail."))
            return redirect("appointments:agenda_detail", pk=appointment.pk)
    back = reverse("appointments:agenda_detail", kwargs={"pk": appointment.pk})
    return render(
        request,
        "appointments/cancel.html",
        {"appointment": appointment, "form": form, "cancellable": appointment.status == "booked", "back": back},
    )


@advisor_required
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    appointment = _get(request, pk)
    initial: dict[str, Any] = {"mode": appointment.mode, "place": appointment.place_id}
    try:
        suggested = dt.datetime.fromtimestamp(int(request.GET.get("debut", "")), tz=dt.UTC)
        initial["starts_at"] = timezone.localtime(suggested).strftime("%Y-%m-%dT%H:%M")
    except (ValueError, OverflowError, OSError):
        pass
    form = RescheduleForm(request.POST or None, initial=initial, places=perimeter_places(fabrique))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                starts_at=data["starts_at"],
                mode=data["mode"],
                place_id=data["place"].pk if data["place"] else None,
                by=request.user,
                reason=data["reason"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Rendez-vous déplacé ; le porteur est prévenu par e-mail."))
            return redirect("appointments:agenda_detail", pk=moved.pk)
    today = timezone.localdate()
    free = motive_slots(
        appointment.motive,
        start_day=today,
        end_day=today + dt.timedelta(days=21),
        advisor_id=appointment.advisor_id,
        by_advisor=True,
    )[:12]
    return render(
        request,
        "appointments/agenda_reschedule.html",
        {"appointment": appointment, "form": form, "free": [(s, int(s.starts_at.timestamp())) for s in free]},
    )


@advisor_required
def book_for_holder(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    organisations = acting_organisations(request.user, fabrique)
    initial: dict[str, Any] = {"advisor": request.user.pk, "holder": request.GET.get("porteur")}
    form = AdvisorBookingForm(
        request.POST or None,
        initial=initial,
        holders=holders_visible_to(request.user, fabrique),
        motives=usable_motives(request.user, fabrique),
        advisors=colleagues(organisations),
        places=perimeter_places(fabrique),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.appointment_book(
                fabrique=fabrique,
                holder=data["holder"],
                motive=data["motive"],
                advisor_id=data["advisor"].pk,
                starts_at=data["starts_at"],
                mode=data["mode"],
                place_id=data["place"].pk if data["place"] and data["mode"] == "place" else None,
                note=data["note"],
                by=request.user,
                on_behalf=True,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Rendez-vous pris ; le porteur est prévenu par e-mail."))
            return redirect("appointments:agenda_detail", pk=appointment.pk)
    return render(request, "appointments/agenda_book.html", {"form": form})


@advisor_required
def feed(request: HttpRequest) -> HttpResponse:
    fabrique = get_current_fabrique_or_404(request)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.agenda_feed_revoke(fabrique=fabrique, advisor=request.user)
            messages.success(request, _("L'adresse de votre agenda ne fonctionne plus."))
        else:
            services.agenda_feed_renew(fabrique=fabrique, advisor=request.user)
            messages.success(request, _("Nouvelle adresse créée ; l'ancienne ne fonctionne plus."))
        return redirect("appointments:agenda_feed")
    current = AgendaFeed.objects.active().for_fabrique(fabrique).filter(advisor_id=request.user.pk).first()
    url = (
        request.build_absolute_uri(reverse("appointments:agenda_feed_ics", kwargs={"token": current.token}))
        if current
        else ""
    )
    return render(request, "appointments/agenda_feed.html", {"feed": current, "url": url})


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The advisor's appointments as a calendar. The secret token is the only key: no session."""
    fabrique = get_current_fabrique_or_404(request)
    feed = (
        AgendaFeed.objects.active()
        .for_fabrique(fabrique)
        .filter(token=token, advisor__is_active=True)
        .select_related("advisor")
        .first()
    )
    if feed is None:
        raise Http404
    since = timezone.now() - dt.timedelta(days=30)
    # Only the structures the advisor still works for: leaving one closes its appointments' names.
    appointments = (
        Appointment.objects.live()
        .for_fabrique(fabrique)
        .filter(
            advisor_id=feed.advisor_id,
            organisation__in=acting_organisations(feed.advisor, fabrique),
            starts_at__gte=since,
        )
        .select_related("holder", "motive", "organisation", "place__commune")
        .order_by("starts_at")[:2000]
    )
    body = calendar([appointment_event(a, with_holder=True) for a in appointments], name=_("Rendez-vous"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("agenda/", day, name="agenda_day"),
    path("agenda/semaine/", week, name="agenda_week"),
    path("agenda/nouveau/", book_for_holder, name="agenda_new"),
    path("agenda/rendez-vous/<int:pk>/", detail, name="agenda_detail"),
    path("agenda/rendez-vous/<int:pk>/annuler/", cancel, name="agenda_cancel"),
    path("agenda/rendez-vous/<int:pk>/deplacer/", reschedule, name="agenda_reschedule"),
    path("agenda/flux/", feed, name="agenda_feed"),
    path("agenda/flux/<str:token>.ics", feed_ics, name="agenda_feed_ics"),
]
