"""Review findings on the appointments app: each test failed before its fix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.appointments.models import Absence, AgendaFeed, Appointment, AvailabilityRange, Motive
from accompaniment.appointments.slots import motive_slots
from fabrique.models import Membership, Role
from tests.appointments.fixtures import at, make_desk, next_weekday
from tests.conftest import client_on
from tests.factories import MembershipFactory, PlaceFactory, enrol_totp

pytestmark = pytest.mark.django_db
HOST = "lille.localhost"


@pytest.fixture
def desk(personas, fabrique):
    return make_desk(personas, fabrique)


def _slot_fields(desk):
    slot = motive_slots(desk.motive, start_day=next_weekday(1), end_day=next_weekday(1))[0]
    return {
        "debut": int(slot.starts_at.timestamp()),
        "conseiller": slot.advisor_id,
        "mode": "place",
        "lieu": desk.place.pk,
    }


# ---------------------------------------------------------------- 1. tenancy / role leaks
def test_the_confirm_page_names_no_user_and_no_place_but_the_motive_s(personas, fabrique, desk):
    """`?conseiller=` and `?lieu=` are any pk: the page must not show whoever or wherever they are."""
    stranger = personas.other_fabrique_user
    stranger.first_name, stranger.last_name = "Gertrude", "Secrète"
    stranger.save()
    far_place = PlaceFactory(name="Maison lointaine")  # not in the Fabrique's perimeter
    holder = client_on(HOST, personas.holder)
    url = reverse("appointments:confirm", kwargs={"pk": desk.motive.pk})
    fields = {**_slot_fields(desk), "conseiller": stranger.pk, "lieu": far_place.pk}
    html = holder.get(url, fields).content.decode()
    assert "Gertrude" not in html
    assert "Maison lointaine" not in html
    # The real slot still names its advisor and place.
    personas.advisor.first_name = "Aline"
    personas.advisor.save()
    html = holder.get(url, _slot_fields(desk)).content.decode()
    assert "Aline" in html
    assert desk.place.name in html


@pytest.fixture
def two_hats(personas, fabrique):
    """The structure manager of BGE, also a mere advisor of Initiative; a colleague in both."""
    MembershipFactory(
        user=personas.structure_manager, role=Role.ADVISOR, fabrique=None, organisation=personas.other_structure
    )
    colleague = MembershipFactory(role=Role.ADVISOR, fabrique=None, organisation=personas.structure).user
    enrol_totp(colleague)
    MembershipFactory(user=colleague, role=Role.ADVISOR, fabrique=None, organisation=personas.other_structure)
    return colleague


def test_a_manager_cannot_create_a_colleague_s_range_in_a_structure_they_do_not_manage(
    personas, fabrique, desk, two_hats
):
    other_motive = Motive.objects.create(organisation=personas.other_structure, name="Autre", modes=["video"])
    manager = client_on(HOST, personas.structure_manager)
    data = {
        "organisation": personas.other_structure.pk,
        "advisor": two_hats.pk,
        "kind": "weekly",
        "weekday": 3,
        "start_time": "14:00",
        "end_time": "17:00",
        "mode": "video",
        "motives": [other_motive.pk],
    }
    url = reverse("appointments:range_new")
    response = manager.post(url, data)
    assert response.status_code == 200
    assert "Vous ne gérez pas" in response.content.decode()
    assert not AvailabilityRange.objects.filter(organisation=personas.other_structure).exists()
    # Their own range there, and the colleague's in the structure they manage, are fine.
    assert manager.post(url, {**data, "advisor": personas.structure_manager.pk}).status_code == 302
    ours = {**data, "organisation": personas.structure.pk, "motives": [desk.motive.pk]}
    assert manager.post(url, ours).status_code == 302


def test_a_manager_cannot_move_a_colleague_s_range_to_a_structure_they_do_not_manage(
    personas, fabrique, desk, two_hats
):
    own = AvailabilityRange.objects.create(
        organisation=personas.structure,
        advisor=two_hats,
        mode="phone",
        weekday=4,
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    manager = client_on(HOST, personas.structure_manager)
    data = {
        "organisation": personas.other_structure.pk,
        "advisor": two_hats.pk,
        "kind": "weekly",
        "weekday": 4,
        "start_time": "09:00",
        "end_time": "10:00",
        "mode": "phone",
        "motives": [Motive.objects.create(organisation=personas.other_structure, name="Autre", modes=["phone"]).pk],
    }
    response = manager.post(reverse("appointments:range_edit", kwargs={"pk": own.pk}), data)
    assert "Vous ne gérez pas" in response.content.decode()
    assert manager.post(reverse("appointments:range_edit", kwargs={"pk": own.pk}), data).status_code == 200
    own.refresh_from_db()
    assert own.organisation == personas.structure


def test_a_manager_cannot_record_a_colleague_s_absence_in_a_structure_they_do_not_manage(
    personas, fabrique, desk, two_hats
):
    manager = client_on(HOST, personas.structure_manager)
    data = {
        "organisation": personas.other_structure.pk,
        "advisor": two_hats.pk,
        "starts_at": "2030-01-02T09:00",
        "ends_at": "2030-01-03T18:00",
    }
    assert manager.post(reverse("appointments:absence_new"), data).status_code == 200
    assert not Absence.objects.exists()
    assert (
        manager.post(reverse("appointments:absence_new"), {**data, "organisation": personas.structure.pk}).status_code
        == 302
    )


def _feed_with_appointment(personas, fabrique, desk):
    start = at(next_weekday(1), 9)
    Appointment.objects.create(
        fabrique=fabrique,
        organisation=personas.structure,
        advisor=personas.advisor,
        holder=desk.holder,
        motive=desk.motive,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        mode="phone",
    )
    feed = AgendaFeed.objects.create(fabrique=fabrique, advisor=personas.advisor)
    return reverse("appointments:agenda_feed_ics", kwargs={"token": feed.token})


def test_the_feed_stops_when_the_advisor_leaves_the_structure(personas, fabrique, desk):
    url = _feed_with_appointment(personas, fabrique, desk)
    assert desk.holder.first_name in client_on(HOST).get(url).content.decode()
    Membership.objects.filter(user=personas.advisor, organisation=personas.structure).update(is_active=False)
    response = client_on(HOST).get(url)
    assert desk.holder.first_name not in response.content.decode()


def test_the_feed_stops_when_the_advisor_s_account_is_deactivated(personas, fabrique, desk):
    url = _feed_with_appointment(personas, fabrique, desk)
    personas.advisor.is_active = False
    personas.advisor.save()
    assert client_on(HOST).get(url).status_code == 404


# ------------------------------------------------------------------ 2. bad input, 500s
@pytest.mark.parametrize("debut", ["253402300799", "-62135596800", "99999999999999999999"])
def test_an_out_of_range_timestamp_is_no_500(personas, fabrique, desk, debut):
    holder = client_on(HOST, personas.holder)
    url = reverse("appointments:confirm", kwargs={"pk": desk.motive.pk})
    fields = {**_slot_fields(desk), "debut": debut}
    assert holder.get(url, fields).status_code == 200
    response = holder.post(url, fields)
    assert response.status_code == 200
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("field", ["conseiller", "lieu"])
def test_an_out_of_range_identifier_is_no_500(personas, fabrique, desk, field):
    holder = client_on(HOST, personas.holder)
    url = reverse("appointments:confirm", kwargs={"pk": desk.motive.pk})
    fields = {**_slot_fields(desk), field: "99999999999999999999"}
    assert holder.get(url, fields).status_code == 200
    assert holder.post(url, fields).status_code == 200
    assert not Appointment.objects.exists()


def test_a_far_future_reschedule_is_no_500(personas, fabrique, desk):
    start = at(next_weekday(1), 9)
    appointment = Appointment.objects.create(
        fabrique=fabrique,
        organisation=personas.structure,
        advisor=personas.advisor,
        holder=desk.holder,
        motive=desk.motive,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        mode="phone",
    )
    advisor = client_on(HOST, personas.advisor)
    url = reverse("appointments:agenda_reschedule", kwargs={"pk": appointment.pk})
    assert advisor.get(url, {"debut": "253402300799"}).status_code == 200
    response = advisor.post(url, {"starts_at": "9999-12-31T23:50", "mode": "phone"})
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_a_far_future_booking_on_behalf_is_no_500(personas, fabrique, desk):
    advisor = client_on(HOST, personas.advisor)
    from tests.factories import holder_followed_by

    holder = holder_followed_by(fabrique, personas.structure)
    data = {
        "holder": holder.pk,
        "motive": desk.motive.pk,
        "advisor": personas.advisor.pk,
        "starts_at": "9999-12-31T23:50",
        "mode": "phone",
    }
    response = advisor.post(reverse("appointments:agenda_new"), data)
    assert response.status_code == 200
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "change", [{"max_days_ahead": 0}, {"max_days_ahead": 400}, {"duration_minutes": 1}, {"duration_minutes": 600}]
)
def test_a_motive_out_of_bounds_is_a_form_error_not_a_500(personas, fabrique, desk, change):
    data = {
        "organisation": personas.structure.pk,
        "name": "Hors bornes",
        "theme": "financing",
        "duration_minutes": 60,
        "modes": ["place"],
        "min_notice_hours": 24,
        "max_days_ahead": 60,
        "is_active": "on",
        **change,
    }
    response = client_on(HOST, personas.structure_manager).post(reverse("appointments:motive_new"), data)
    assert response.status_code == 200
    assert not Motive.objects.filter(name="Hors bornes").exists()


@pytest.mark.parametrize("jour", ["0001-01-01", "9999-12-31", "2024-02-30", "abc", "20240101"])
def test_agenda_dates_out_of_range(personas, fabrique, desk, jour):
    advisor = client_on(HOST, personas.advisor)
    for view in ("appointments:agenda_day", "appointments:agenda_week"):
        assert advisor.get(reverse(view), {"jour": jour, "conseiller": "x", "lieu": "y"}).status_code == 200
    assert (
        client_on(HOST).get(reverse("appointments:slots", kwargs={"pk": desk.motive.pk}), {"du": jour}).status_code
        == 200
    )


# ------------------------------------------------------------------------ 3. N+1 queries
def test_the_availability_page_costs_the_same_for_many_rows(personas, fabrique, desk, django_assert_num_queries):
    manager = client_on(HOST, personas.structure_manager)
    url = reverse("appointments:availability")
    manager.get(url)
    with CaptureQueriesContext(connection) as one:
        assert manager.get(url).status_code == 200
    for weekday in range(2, 6):
        place = PlaceFactory()
        fabrique.perimeter.add(place.commune.epci)
        item = AvailabilityRange.objects.create(
            organisation=personas.structure,
            advisor=personas.advisor,
            mode="place",
            place=place,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(10),
        )
        item.motives.add(Motive.objects.create(organisation=personas.structure, name=f"M{weekday}", modes=["place"]))
        now = timezone.now()
        Absence.objects.create(
            organisation=personas.structure,
            advisor=personas.advisor,
            starts_at=now + dt.timedelta(days=weekday),
            ends_at=now + dt.timedelta(days=weekday, hours=2),
        )
    with django_assert_num_queries(len(one.captured_queries)):
        assert manager.get(url).status_code == 200


def test_my_appointments_cost_the_same_for_many_rows(personas, fabrique, desk, django_assert_num_queries):
    holder = client_on(HOST, personas.holder)
    url = reverse("appointments:mine")

    def book(start, **extra):
        return Appointment.objects.create(
            fabrique=fabrique,
            organisation=personas.structure,
            advisor=personas.advisor,
            holder=desk.holder,
            motive=desk.motive,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            **{"mode": "place", "place": desk.place, **extra},
        )

    book(at(next_weekday(1), 9))
    book(at(next_weekday(1, weeks_ahead=-2), 9))
    holder.get(url)
    with CaptureQueriesContext(connection) as one:
        assert holder.get(url).status_code == 200
    for week in range(2, 6):
        book(at(next_weekday(1, weeks_ahead=week), 9))
        book(at(next_weekday(1, weeks_ahead=-week - 2), 9), mode="phone", place=None)
    with django_assert_num_queries(len(one.captured_queries)):
        assert holder.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_feed_renewals_leave_one_live_feed_and_no_error(personas, fabrique):
    import threading

    from django.db import connection

    from accompaniment.appointments import services
    from accompaniment.appointments.models import AgendaFeed

    connection.close()
    go = threading.Event()
    errors: list[str] = []

    def renew() -> None:
        try:
            go.wait(10)
            services.agenda_feed_renew(fabrique=fabrique, advisor=personas.advisor)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(6)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert AgendaFeed.objects.active().filter(advisor=personas.advisor).count() == 1
