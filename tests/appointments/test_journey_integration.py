"""Appointments in the holder's journey: « Mon parcours » lists the next ones, the advisor's
timeline shows them, and a seen appointment becomes a follow-up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accompaniment.appointments.services import appointment_book
from accompaniment.journeys.models import FollowUp, SupportLink
from tests.appointments.fixtures import at, make_desk, next_weekday
from tests.conftest import client_on

pytestmark = pytest.mark.django_db
HOST = "lille.localhost"


def _book(fabrique, personas):
    desk = make_desk(personas, fabrique)
    return desk, appointment_book(
        fabrique=fabrique,
        holder=desk.holder,
        motive=desk.motive,
        advisor_id=personas.advisor.pk,
        starts_at=at(next_weekday(1), 9, 30),
        mode="place",
        place_id=desk.place.pk,
        by=personas.holder,
    )


def test_my_journey_lists_the_next_appointments_with_a_booking_link(fabrique, personas):
    _desk, appointment = _book(fabrique, personas)
    page = client_on(HOST, personas.holder).get(reverse("journeys:my_journey")).content.decode()
    assert "Premier accueil" in page
    assert appointment.organisation.name in page
    assert reverse("appointments:start") in page
    assert reverse("appointments:mine") in page


def test_the_advisor_timeline_shows_the_appointment(fabrique, personas):
    desk, _appointment = _book(fabrique, personas)
    SupportLink.objects.get_or_create(
        holder=desk.holder, organisation=personas.structure, defaults={"origin": "appointment"}
    )
    url = reverse("journeys:holder_file", kwargs={"pk": desk.holder.pk})
    page = client_on(HOST, personas.advisor).get(url).content.decode()
    assert "Rendez-vous — Premier accueil" in page


def test_an_appointment_alone_gives_no_other_structure_access_to_the_file(fabrique, personas):
    desk, _appointment = _book(fabrique, personas)
    url = reverse("journeys:holder_file", kwargs={"pk": desk.holder.pk})
    assert client_on(HOST, personas.other_structure_advisor).get(url).status_code == 404
    assert not FollowUp.objects.filter(holder=desk.holder).exists()


def test_a_place_page_leads_to_the_motives_received_there(fabrique, personas):
    desk = make_desk(personas, fabrique)
    client = client_on(HOST)
    place_page = client.get(reverse("places:detail", kwargs={"slug": desk.place.slug})).content.decode()
    start = reverse("appointments:start") + f"?lieu={desk.place.slug}"
    assert start in place_page
    assert "Premier accueil" in client.get(start).content.decode()
    assert "Premier accueil" not in client.get(reverse("appointments:start"), {"lieu": "ailleurs"}).content.decode()


def test_the_holder_file_offers_to_book_on_the_holders_behalf(fabrique, personas):
    desk = make_desk(personas, fabrique)
    SupportLink.objects.get_or_create(
        holder=desk.holder, organisation=personas.structure, defaults={"origin": "holder"}
    )
    client = client_on(HOST, personas.advisor)
    page = client.get(reverse("journeys:holder_file", kwargs={"pk": desk.holder.pk})).content.decode()
    booking = reverse("appointments:agenda_new") + f"?porteur={desk.holder.pk}"
    assert booking in page
    assert client.get(booking).status_code == 200
