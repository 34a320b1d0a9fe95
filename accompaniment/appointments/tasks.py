"""Appointment e-mails through Celery: confirmation, change, cancellation (with an ICS file) and
the reminder 48 hours before.

Tasks take primary keys and re-read the rows. The reminder is claimed by a conditional UPDATE
(`reminder_sent_at IS NULL`) in the same transaction as the sending: a second run, or a second
worker, finds nothing to claim (it waits on the row lock, then sees it set), and a worker that
dies before committing leaves the row unclaimed for the next sweep. The only window for a
duplicate is a crash between the mail server's acceptance and the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.appointments import ics
from accompaniment.appointments.models import Appointment, LocationMode
from accompaniment.appointments.services import cancel_token

logger = logging.getLogger(__name__)

REMINDER_BEFORE = dt.timedelta(hours=48)
REMINDER_BATCH_SIZE = 500
KINDS = ("confirmation", "change", "cancellation", "reminder")


def _portal_url(appointment: Appointment, path: str) -> str:
    host = appointment.fabrique.primary_host
    return f"https://{host}{path}" if host else ""


def appointment_location(appointment: Appointment) -> str:
    if appointment.mode == LocationMode.PLACE and appointment.place is not None:
        place = appointment.place
        return f"{place.name}, {place.street_address}, {place.postal_code} {place.commune.name}"
    return str(appointment.get_mode_display())


def holder_short_name(holder: Any) -> str:
    """First name and initial (an erased file has neither)."""
    if not holder.first_name:
        return str(_("le porteur"))
    return f"{holder.first_name} {holder.last_name[:1]}." if holder.last_name else holder.first_name


def appointment_event(appointment: Appointment, *, cancelled: bool = False, with_holder: bool = False) -> ics.Event:
    structure = appointment.organisation.name
    summary = f"Rendez-vous — {appointment.motive.name} ({structure})"
    if with_holder:  # the advisor's feed: first name and initial only (minimisation)
        summary = f"RDV {holder_short_name(appointment.holder)} — {appointment.motive.name}"
    return ics.Event(
        uid=f"rdv-{appointment.pk}@fabrique-entreprendre",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=summary,
        location=appointment_location(appointment),
        cancelled=cancelled,
        sequence=1 if cancelled else 0,
    )


def _message(appointment: Appointment, kind: str) -> EmailMessage | None:
    holder = appointment.holder
    if not holder.email:
        return None
    cancel_url = ""
    if kind != "cancellation":
        path = reverse("appointments:cancel_by_link", kwargs={"token": cancel_token(appointment)})
        cancel_url = _portal_url(appointment, path)
    context = {
        "appointment": appointment,
        "kind": kind,
        "holder": holder,
        "location": appointment_location(appointment),
        "starts_at": timezone.localtime(appointment.starts_at),
        "cancel_url": cancel_url,
        "previous": appointment.rescheduled_from,
    }
    subject = render_to_string("appointments/email/subject.txt", context).strip()
    body = render_to_string("appointments/email/body.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[holder.email])
    events = [appointment_event(appointment, cancelled=kind == "cancellation")]
    method = "CANCEL" if kind == "cancellation" else "REQUEST"
    message.attach("rendez-vous.ics", ics.calendar(events, method=method), f"text/calendar; method={method}")
    if kind == "change" and appointment.rescheduled_from is not None:
        old = ics.calendar([appointment_event(appointment.rescheduled_from, cancelled=True)], method="CANCEL")
        message.attach("ancien-rendez-vous.ics", old, "text/calendar; method=CANCEL")
    return message


def _advisor_message(appointment: Appointment) -> EmailMessage | None:
    """The advisor learns that the holder cancelled (their slot is free again); the event leaves
    their calendar. First name and initial only, as in the agenda feed."""
    advisor = appointment.advisor
    if not advisor.email or not advisor.is_active or appointment.cancelled_by_id == advisor.pk:
        return None
    context = {
        "appointment": appointment,
        "who": holder_short_name(appointment.holder),
        "starts_at": timezone.localtime(appointment.starts_at),
        "agenda_url": _portal_url(appointment, reverse("appointments:agenda_day")),
    }
    subject = render_to_string("appointments/email/advisor_cancelled_subject.txt", context).strip()
    body = render_to_string("appointments/email/advisor_cancelled_body.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[advisor.email])
    event = appointment_event(appointment, cancelled=True, with_holder=True)
    message.attach("rendez-vous-annule.ics", ics.calendar([event], method="CANCEL"), "text/calendar; method=CANCEL")
    return message


def _load(pk: int) -> Appointment | None:
    return (
        Appointment.objects.select_related(
            "fabrique", "holder", "advisor", "motive", "organisation", "place__commune", "rescheduled_from__motive"
        )
        .filter(pk=pk)
        .first()
    )


@shared_task(name="appointments.notify", ignore_result=True)
def appointment_notify(pk: int, kind: str) -> bool:
    """Confirmation, change or cancellation e-mail (a cancellation the advisor did not make also
    tells the advisor); skipped when the appointment changed since."""
    appointment = _load(pk)
    if appointment is None or kind not in KINDS:
        return False
    expected = Appointment.Status.CANCELLED if kind == "cancellation" else Appointment.Status.BOOKED
    if appointment.status != expected:
        return False
    messages = [_message(appointment, kind)]
    if kind == "cancellation":
        messages.append(_advisor_message(appointment))
    sent = [message for message in messages if message is not None]
    for message in sent:
        message.send()
    return bool(sent)


@shared_task(name="appointments.reminder_send", ignore_result=True)
def appointment_reminder_send(pk: int, now: str | None = None) -> bool:
    """Send one reminder if nobody did: claim and send in one transaction."""
    moment = dt.datetime.fromisoformat(now) if now else timezone.now()
    with transaction.atomic():
        claimed = Appointment.objects.filter(
            pk=pk,
            status=Appointment.Status.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=moment,
            starts_at__lte=moment + REMINDER_BEFORE,
        ).update(reminder_sent_at=moment)
        if not claimed:
            return False
        appointment = _load(pk)
        message = _message(appointment, "reminder") if appointment else None
        if message is not None:
            message.send()  # an error rolls the claim back: the next sweep tries again
    return True


def reminders_due(now: dt.datetime) -> list[int]:
    """Booked appointments starting within 48 h, not reminded yet, booked more than 48 h before
    they start (a fresher booking has just had its confirmation)."""
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_BEFORE,
            created_at__lte=F("starts_at") - REMINDER_BEFORE,
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)[:REMINDER_BATCH_SIZE]
    )


@shared_task(name="appointments.reminders_send", ignore_result=True)
def appointment_reminders_send() -> int:
    """Celery beat, every 15 minutes: send the reminders that are due (idempotent)."""
    now = timezone.now()
    sent = 0
    for pk in reminders_due(now):
        try:
            sent += appointment_reminder_send(pk, now.isoformat())
        except Exception:  # one bad address must not stop the others; logged, retried next sweep
            logger.exception("reminder of appointment %s not sent", pk)
    return sent
