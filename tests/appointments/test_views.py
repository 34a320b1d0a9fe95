"""Appointment pages: the holder's booking flow, cancellation (also by the e-mail's signed link),
the advisors' agenda (query counts), outcomes, booking on behalf, availability, the ICS feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.appointments import services
from accompaniment.appointments.models import Absence, AgendaFeed, Appointment, AvailabilityRange, Motive
from accompaniment.appointments.slots import motive_slots
from accompaniment.journeys.models import FollowUp
from tests.appointments.fixtures import at, make_desk, next_weekday
from tests.conftest import client_on
from tests.factories import HolderFactory, holder_followed_by

pytestmark = pytest.mark.django_db
HOST = "lille.localhost"


@pytest.fixture
def desk(personas, fabrique):
    return make_desk(personas, fabrique)


def _appointment(desk, personas, fabrique, start, *, holder=None, status="booked", advisor=None) -> Appointment:
    return Appointment.objects.create(
        fabrique=fabrique,
        organisation=personas.structure,
        advisor=advisor or personas.advisor,
        holder=holder or desk.holder,
        motive=desk.motive,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        mode="phone",
        status=status,
        cancelled_at=timezone.now() if status == "cancelled" else None,
    )


# ------------------------------------------------------------------ holder booking flow
def test_a_holder_books_from_the_structure_page_to_the_confirmation_e_mail(
    personas, fabrique, desk, django_capture_on_commit_callbacks
):
    holder = client_on(HOST, personas.holder)
    page = holder.get(reverse("catalogue:structure_detail", kwargs={"slug": desk.structure.slug}))
    start_url = reverse("appointments:start") + f"?structure={desk.structure.slug}"
    assert start_url in page.content.decode()
    page = holder.get(start_url)
    assert "Premier accueil" in page.content.decode()
    slots_url = reverse("appointments:slots", kwargs={"pk": desk.motive.pk})
    page = holder.get(slots_url, {"du": next_weekday(1).isoformat()})
    html = page.content.decode()
    assert "09h00" in html
    assert desk.place.name in html
    slot = motive_slots(desk.motive, start_day=next_weekday(1), end_day=next_weekday(1))[0]
    fields = {
        "debut": int(slot.starts_at.timestamp()),
        "conseiller": slot.advisor_id,
        "mode": "place",
        "lieu": desk.place.pk,
    }
    confirm_url = reverse("appointments:confirm", kwargs={"pk": desk.motive.pk})
    assert holder.get(confirm_url, fields).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = holder.post(confirm_url, {**fields, "note": "Projet de boulangerie"})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.holder, appointment.booked_by, appointment.note) == (
        desk.holder,
        personas.holder,
        "Projet de boulangerie",
    )
    message = mail.outbox[-1]
    assert message.to == [desk.holder.email]
    assert message.subject.startswith("Rendez-vous confirmé")
    name, ics_text, mimetype = message.attachments[0]
    assert name == "rendez-vous.ics"
    assert mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics_text
    assert slot.starts_at.strftime("DTSTART:%Y%m%dT%H%M%SZ") in ics_text
    assert "/rendez-vous/annulation/" in message.body
    # The same slot again: the form comes back with the clean message, no 500.
    response = holder.post(confirm_url, fields)
    assert response.status_code == 200
    assert "Ce créneau vient d&#x27;être pris, choisissez-en un autre." in response.content.decode()
    mine = holder.get(reverse("appointments:mine"))
    assert "Premier accueil" in mine.content.decode()


def test_confirm_without_a_slot_and_first_slot_search(personas, fabrique, desk):
    holder = client_on(HOST, personas.holder)
    page = holder.get(reverse("appointments:confirm", kwargs={"pk": desk.motive.pk}), {"debut": "abc"})
    assert page.status_code == 200
    assert "Choisissez d'abord un créneau" in page.content.decode()
    page = holder.get(reverse("appointments:start"), {"theme": "coaching", "commune": desk.place.commune.pk})
    assert "Réserver ce créneau" in page.content.decode()
    page = holder.get(reverse("appointments:start"), {"theme": "pas-un-theme"})
    assert page.status_code == 200  # French form error, no 500


def test_anonymous_visitors_browse_slots_but_log_in_to_book(fabrique, desk):
    visitor = client_on(HOST)
    assert visitor.get(reverse("appointments:slots", kwargs={"pk": desk.motive.pk})).status_code == 200
    response = visitor.post(reverse("appointments:confirm", kwargs={"pk": desk.motive.pk}), {})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_holder_cancels_from_their_list(personas, fabrique, desk):
    appointment = _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    holder = client_on(HOST, personas.holder)
    url = reverse("appointments:holder_cancel", kwargs={"pk": appointment.pk})
    assert holder.get(url).status_code == 200
    assert holder.post(url, {"reason": "Empêchement"}).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by, appointment.cancel_reason) == (
        "cancelled",
        personas.holder,
        "Empêchement",
    )
    someone_else = _appointment(
        desk, personas, fabrique, at(next_weekday(1), 10), holder=HolderFactory(fabrique=fabrique)
    )
    assert holder.get(reverse("appointments:holder_cancel", kwargs={"pk": someone_else.pk})).status_code == 404


# ------------------------------------------------------------------- signed cancel links
def test_the_e_mail_link_cancels_without_logging_in(personas, fabrique, desk):
    appointment = _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    url = reverse("appointments:cancel_by_link", kwargs={"token": services.cancel_token(appointment)})
    visitor = client_on(HOST)
    assert visitor.get(url).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "booked"  # a GET (a link preview) never cancels
    assert visitor.post(url, {"reason": ""}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancelled_by is None
    again = visitor.get(url)
    assert again.status_code == 200
    assert "« annulé »" in again.content.decode()


def test_a_tampered_an_expired_or_a_foreign_link_is_refused(personas, fabrique, other_fabrique, desk, monkeypatch):
    appointment = _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    token = services.cancel_token(appointment)
    visitor = client_on(HOST)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert visitor.post(reverse("appointments:cancel_by_link", kwargs={"token": tampered})).status_code == 404
    forged = signing.dumps({"a": appointment.pk, "h": appointment.holder_id}, salt="autre-chose", compress=True)
    assert visitor.get(reverse("appointments:cancel_by_link", kwargs={"token": forged})).status_code == 404
    other_host = client_on("dunkerque.localhost")
    assert other_host.get(reverse("appointments:cancel_by_link", kwargs={"token": token})).status_code == 404
    old = int(timezone.now().timestamp() - services.CANCEL_LINK_MAX_AGE.total_seconds() - 60)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
    expired = services.cancel_token(appointment)
    monkeypatch.undo()
    response = visitor.post(reverse("appointments:cancel_by_link", kwargs={"token": expired}))
    assert response.status_code == 404
    assert "ne fonctionne plus" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


# ------------------------------------------------------------------------------ agenda
@pytest.mark.parametrize("view", ["appointments:agenda_day", "appointments:agenda_week"])
def test_the_agenda_costs_the_same_queries_for_one_or_many_appointments(
    view, personas, fabrique, desk, django_assert_num_queries
):
    tuesday = next_weekday(1)
    advisor = client_on(HOST, personas.advisor)
    _appointment(desk, personas, fabrique, at(tuesday, 9))
    advisor.get(reverse(view), {"jour": tuesday.isoformat()})  # warm-up (sessions, MFA state)
    with CaptureQueriesContext(connection) as one:
        page = advisor.get(reverse(view), {"jour": tuesday.isoformat()})
    assert page.status_code == 200
    for hour in range(10, 17):
        _appointment(desk, personas, fabrique, at(tuesday, hour), holder=HolderFactory(fabrique=fabrique))
    with django_assert_num_queries(len(one.captured_queries)):
        page = advisor.get(reverse(view), {"jour": tuesday.isoformat()})
    assert page.content.decode().count("/agenda/rendez-vous/") == 8


def test_the_agenda_filters_by_place_and_advisor(personas, fabrique, desk):
    tuesday = next_weekday(1)
    _appointment(desk, personas, fabrique, at(tuesday, 9))
    on_site = _appointment(desk, personas, fabrique, at(tuesday, 10))
    Appointment.objects.filter(pk=on_site.pk).update(mode="place", place=desk.place)
    advisor = client_on(HOST, personas.advisor)
    page = advisor.get(reverse("appointments:agenda_day"), {"jour": tuesday.isoformat(), "lieu": desk.place.pk})
    assert page.content.decode().count("/agenda/rendez-vous/") == 1
    manager = client_on(HOST, personas.structure_manager)
    mine = manager.get(reverse("appointments:agenda_day"), {"jour": tuesday.isoformat()})
    assert mine.content.decode().count("/agenda/rendez-vous/") == 0  # the manager's own agenda
    everyone = manager.get(reverse("appointments:agenda_day"), {"jour": tuesday.isoformat(), "conseiller": "tous"})
    assert everyone.content.decode().count("/agenda/rendez-vous/") == 2


def test_another_structure_s_appointment_is_a_404(personas, fabrique, desk):
    appointment = _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    for user in (personas.other_structure_advisor, personas.holder, personas.territory_staff):
        response = client_on(HOST, user).get(reverse("appointments:agenda_detail", kwargs={"pk": appointment.pk}))
        assert response.status_code == 404


def test_the_advisor_records_the_outcome(personas, fabrique, desk):
    past = _appointment(desk, personas, fabrique, timezone.now() - dt.timedelta(hours=2))
    future = _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    advisor = client_on(HOST, personas.advisor)
    url = reverse("appointments:agenda_detail", kwargs={"pk": past.pk})
    assert advisor.post(url, {"action": "seen", "note": "Étude de marché à faire"}).status_code == 302
    past.refresh_from_db()
    assert past.status == "seen"
    assert past.outcome_by == personas.advisor
    assert FollowUp.objects.get(pk=past.follow_up_id).kind == "phone"
    # Too early for "seen": the form says so.
    response = advisor.post(reverse("appointments:agenda_detail", kwargs={"pk": future.pk}), {"action": "seen"})
    assert response.status_code == 200
    assert "pas encore eu lieu" in response.content.decode()


def test_the_advisor_books_on_behalf_and_reschedules(personas, fabrique, desk, django_capture_on_commit_callbacks):
    followed = holder_followed_by(fabrique, personas.structure)
    stranger = HolderFactory(fabrique=fabrique)
    advisor = client_on(HOST, personas.advisor)
    url = reverse("appointments:agenda_new")
    assert advisor.get(url, {"porteur": followed.pk}).status_code == 200
    tuesday = next_weekday(1)
    form = {
        "holder": followed.pk,
        "motive": desk.motive.pk,
        "advisor": personas.advisor.pk,
        "starts_at": f"{tuesday.isoformat()}T08:00",
        "mode": "phone",
    }
    response = advisor.post(url, {**form, "holder": stranger.pk})
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert advisor.post(url, form).status_code == 302
    booked = Appointment.objects.get(holder=followed)
    assert booked.booked_by == personas.advisor
    assert timezone.localtime(booked.starts_at).hour == 8
    response = advisor.post(url, form)
    assert "Ce créneau vient d&#x27;être pris" in response.content.decode()
    move = reverse("appointments:agenda_reschedule", kwargs={"pk": booked.pk})
    assert advisor.get(move).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor.post(
            move, {"starts_at": f"{tuesday.isoformat()}T11:00", "mode": "phone", "reason": "Demande"}
        )
    assert response.status_code == 302
    moved = Appointment.objects.get(rescheduled_from=booked)
    assert mail.outbox[-1].subject.startswith("Rendez-vous déplacé")
    assert [a[0] for a in mail.outbox[-1].attachments] == ["rendez-vous.ics", "ancien-rendez-vous.ics"]
    assert moved.status == "booked"


# ------------------------------------------------------------------------ availability
def test_advisors_manage_their_ranges_and_absences(personas, fabrique, desk):
    advisor = client_on(HOST, personas.advisor)
    assert advisor.get(reverse("appointments:availability")).status_code == 200
    url = reverse("appointments:range_new")
    base = {
        "organisation": personas.structure.pk,
        "advisor": personas.advisor.pk,
        "kind": "weekly",
        "weekday": 3,
        "start_time": "14:00",
        "end_time": "13:00",
        "mode": "place",
        "motives": [desk.motive.pk],
    }
    response = advisor.post(url, base)
    assert response.status_code == 200
    html = response.content.decode()
    assert "L&#x27;heure de fin doit suivre" in html
    assert "Choisissez le lieu" in html
    assert advisor.post(url, {**base, "end_time": "17:00", "mode": "video"}).status_code == 302
    created = AvailabilityRange.objects.get(weekday=3)
    assert created.place is None
    assert list(created.motives.all()) == [desk.motive]
    # A colleague's range is not theirs to edit; the manager's is.
    colleague = AvailabilityRange.objects.create(
        organisation=personas.structure,
        advisor=personas.structure_manager,
        mode="phone",
        weekday=4,
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    assert advisor.get(reverse("appointments:range_edit", kwargs={"pk": colleague.pk})).status_code == 404
    manager = client_on(HOST, personas.structure_manager)
    assert manager.get(reverse("appointments:range_edit", kwargs={"pk": created.pk})).status_code == 200
    assert (
        advisor.post(reverse("appointments:range_edit", kwargs={"pk": created.pk}), {"supprimer": "1"}).status_code
        == 302
    )
    assert not AvailabilityRange.objects.filter(pk=created.pk).exists()
    response = advisor.post(
        reverse("appointments:absence_new"),
        {
            "organisation": personas.structure.pk,
            "advisor": personas.advisor.pk,
            "starts_at": "2030-01-02T09:00",
            "ends_at": "2030-01-03T18:00",
            "reason": "Formation",
        },
    )
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert timezone.localtime(absence.starts_at).hour == 9


def test_motives_are_for_structure_managers(personas, fabrique, desk):
    data = {
        "organisation": personas.structure.pk,
        "name": "Préparer son prêt d'honneur",
        "theme": "financing",
        "duration_minutes": 60,
        "modes": ["place", "video"],
        "bookable_online": "on",
        "min_notice_hours": 24,
        "max_days_ahead": 60,
        "is_active": "on",
    }
    assert client_on(HOST, personas.advisor).post(reverse("appointments:motive_new"), data).status_code == 404
    manager = client_on(HOST, personas.structure_manager)
    assert manager.post(reverse("appointments:motive_new"), data).status_code == 302
    assert Motive.objects.get(name="Préparer son prêt d'honneur").modes == ["place", "video"]
    response = manager.post(reverse("appointments:motive_new"), {**data, "modes": [], "duration_minutes": 1})
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in response.content.decode()
    _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    response = manager.post(reverse("appointments:motive_edit", kwargs={"pk": desk.motive.pk}), {"supprimer": "1"})
    assert response.status_code == 200
    assert Motive.objects.filter(pk=desk.motive.pk).exists()


# ---------------------------------------------------------------------------- ICS feed
def test_the_secret_feed_lists_the_advisor_s_appointments_until_revoked(personas, fabrique, desk):
    _appointment(desk, personas, fabrique, at(next_weekday(1), 9))
    _appointment(desk, personas, fabrique, at(next_weekday(1), 10), status="cancelled")
    advisor = client_on(HOST, personas.advisor)
    assert advisor.post(reverse("appointments:agenda_feed"), {"action": "renew"}).status_code == 302
    feed = AgendaFeed.objects.get()
    url = reverse("appointments:agenda_feed_ics", kwargs={"token": feed.token})
    assert url in advisor.get(reverse("appointments:agenda_feed")).content.decode()
    response = client_on(HOST).get(url)
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert body.count("BEGIN:VEVENT") == 1
    assert desk.holder.first_name in body
    assert desk.holder.last_name not in body
    assert client_on("dunkerque.localhost").get(url).status_code == 404
    advisor.post(reverse("appointments:agenda_feed"), {"action": "renew"})
    assert client_on(HOST).get(url).status_code == 404
    advisor.post(reverse("appointments:agenda_feed"), {"action": "revoke"})
    assert not AgendaFeed.objects.active().exists()
