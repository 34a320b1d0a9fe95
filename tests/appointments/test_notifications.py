"""Appointment e-mails: the ICS text, the reminder 48 hours before — sent once, even when the sweep
runs twice, concurrently, or after a worker died mid-way."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from django.utils import timezone

from accompaniment.appointments import ics, tasks
from accompaniment.appointments.models import Appointment
from tests.appointments.fixtures import make_desk


def test_ics_lines_are_escaped_and_folded_at_75_octets():
    start = dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC)
    text = ics.calendar(
        [
            ics.Event(
                uid="rdv-1@test",
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
                summary="Rendez-vous, premier accueil; création d'entreprise — « émergence »" * 2,
                location="Espace ressource\nLille",
            )
        ],
        method="REQUEST",
        now=start,
    )
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART:20270328T070000Z" in unfolded
    assert "METHOD:REQUEST" in unfolded
    assert "SUMMARY:Rendez-vous\\, premier accueil\\; création" in unfolded
    assert "LOCATION:Espace ressource\\nLille" in unfolded


def _due_appointment(personas, fabrique, *, hours_ahead=24, booked_days_before=5, status="booked") -> Appointment:
    desk = make_desk(personas, fabrique)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours_ahead)
    appointment = Appointment.objects.create(
        fabrique=fabrique,
        organisation=personas.structure,
        advisor=personas.advisor,
        holder=desk.holder,
        motive=desk.motive,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        mode="place",
        place=desk.place,
        status=status,
        cancelled_at=timezone.now() if status == "cancelled" else None,
    )
    Appointment.objects.filter(pk=appointment.pk).update(created_at=start - dt.timedelta(days=booked_days_before))
    return appointment


@pytest.mark.django_db
def test_the_reminder_is_sent_once_even_when_the_sweep_runs_twice(personas, fabrique):
    appointment = _due_appointment(personas, fabrique)
    assert tasks.appointment_reminders_send() == 1
    assert tasks.appointment_reminders_send() == 0
    assert tasks.appointment_reminder_send(appointment.pk) is False  # a late duplicate message
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("Rappel : votre rendez-vous")
    assert "/rendez-vous/annulation/" in message.body
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is not None


@pytest.mark.django_db
def test_no_reminder_when_not_due(personas, fabrique):
    _due_appointment(personas, fabrique, hours_ahead=72)  # too early
    assert tasks.appointment_reminders_send() == 0
    Appointment.objects.all().delete()
    _due_appointment(personas, fabrique, booked_days_before=1)  # booked within 48 h: the confirmation is fresh
    assert tasks.appointment_reminders_send() == 0
    Appointment.objects.all().delete()
    _due_appointment(personas, fabrique, status="cancelled")
    assert tasks.appointment_reminders_send() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_worker_that_dies_while_sending_leaves_the_reminder_for_the_next_sweep(
    personas, fabrique, monkeypatch, caplog
):
    appointment = _due_appointment(personas, fabrique)

    def crash(self, fail_silently=False):
        raise ConnectionResetError("the mail server went away")

    monkeypatch.setattr(EmailMessage, "send", crash)
    assert tasks.appointment_reminders_send() == 0
    appointment.refresh_from_db()
    assert appointment.reminder_sent_at is None  # the claim was rolled back with the failed send
    assert "not sent" in caplog.text
    monkeypatch.undo()
    assert tasks.appointment_reminders_send() == 1
    assert tasks.appointment_reminders_send() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_reminder_send_it_once(personas, fabrique, monkeypatch):
    appointment = _due_appointment(personas, fabrique)
    original = EmailMessage.send

    def slow_send(self, fail_silently=False):
        time.sleep(0.3)  # the other worker arrives while this one holds the claim
        return original(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", slow_send)
    results: list[bool] = []

    def work() -> None:
        try:
            results.append(tasks.appointment_reminder_send(appointment.pk))
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_cancellation_e_mail_cancels_the_calendar_event(personas, fabrique, django_capture_on_commit_callbacks):
    from accompaniment.appointments.services import appointment_cancel

    appointment = _due_appointment(personas, fabrique, hours_ahead=100)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, by=personas.advisor, reason="Conseiller malade")
    message = mail.outbox[-1]
    assert message.subject.startswith("Rendez-vous annulé")
    assert "METHOD:CANCEL" in message.attachments[0][1]
    assert "STATUS:CANCELLED" in message.attachments[0][1]
    assert "/rendez-vous/annulation/" not in message.body
    # A confirmation that arrives after the cancellation is not sent.
    assert tasks.appointment_notify(appointment.pk, "confirmation") is False


@pytest.mark.django_db
def test_a_holder_cancellation_tells_the_advisor_and_frees_their_calendar(
    personas, fabrique, django_capture_on_commit_callbacks
):
    from accompaniment.appointments.services import appointment_cancel

    appointment = _due_appointment(personas, fabrique, hours_ahead=100)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, by=personas.holder, reason="Empêchement")
    to_advisor = [m for m in mail.outbox if m.to == [personas.advisor.email]]
    assert len(to_advisor) == 1
    message = to_advisor[0]
    assert message.subject.startswith("Rendez-vous annulé par le porteur")
    assert "Empêchement" in message.body
    holder = appointment.holder
    assert f"{holder.first_name} {holder.last_name[:1]}." in message.body
    assert holder.last_name not in message.body  # minimisation: the initial only
    assert "METHOD:CANCEL" in message.attachments[0][1]
    assert [m for m in mail.outbox if m.to == [holder.email]]  # the holder is told too


@pytest.mark.django_db
def test_an_advisor_cancelling_gets_no_mail_about_it(personas, fabrique, django_capture_on_commit_callbacks):
    from accompaniment.appointments.services import appointment_cancel

    appointment = _due_appointment(personas, fabrique, hours_ahead=100)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, by=personas.advisor, reason="Conseiller malade")
    assert not [m for m in mail.outbox if m.to == [personas.advisor.email]]
