"""Appointments: slots across daylight-saving changes, booking without double booking (the
database decides, even under 100 concurrent bookings), the lifecycle and its follow-up."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.db.utils import IntegrityError

from accompaniment.appointments import services
from accompaniment.appointments.models import Absence, Appointment, AvailabilityRange, LocationMode
from accompaniment.appointments.slots import (
    PARIS,
    BusyIndex,
    RangeData,
    compute_slots,
    first_slots,
    local_instant,
    motive_slots,
)
from accompaniment.journeys.models import FollowUp, SupportLink
from tests.appointments.fixtures import at, make_desk, next_weekday
from tests.factories import CommuneFactory, HolderFactory, PlaceFactory

# --------------------------------------------------------------------- slots (pure)
LAST_SUNDAY_OF_MARCH = dt.date(2027, 3, 28)  # clocks go 02:00 → 03:00
LAST_SUNDAY_OF_OCTOBER = dt.date(2027, 10, 31)  # clocks go 03:00 → 02:00


def _range(day: dt.date, start: dt.time, end: dt.time, *, weekly: bool = True) -> RangeData:
    return RangeData(
        pk=1,
        advisor_id=7,
        organisation_id=3,
        mode="place",
        place_id=5,
        weekday=day.weekday() if weekly else None,
        date=None if weekly else day,
        start_time=start,
        end_time=end,
    )


def _slots(day: dt.date, start: dt.time, end: dt.time, minutes: int, busy=()) -> list:
    return compute_slots(
        ranges=[_range(day, start, end)],
        busy=BusyIndex(busy),
        duration=dt.timedelta(minutes=minutes),
        start_day=day - dt.timedelta(days=7),
        end_day=day + dt.timedelta(days=7),
    )


@pytest.mark.parametrize("day", [LAST_SUNDAY_OF_MARCH, LAST_SUNDAY_OF_OCTOBER])
def test_a_morning_range_gives_local_nine_oclock_on_both_sides_of_a_change(day):
    slots = _slots(day, dt.time(9), dt.time(12), 60)
    by_day: dict[dt.date, list[str]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(slot.local_start.strftime("%H:%M"))
    assert by_day == {
        day - dt.timedelta(days=7): ["09:00", "10:00", "11:00"],
        day: ["09:00", "10:00", "11:00"],
        day + dt.timedelta(days=7): ["09:00", "10:00", "11:00"],
    }
    offsets = {s.local_start.date(): s.local_start.utcoffset() for s in slots}
    hour = dt.timedelta(hours=1)
    if day.month == 3:
        assert offsets[day - dt.timedelta(days=7)] == hour
        assert offsets[day] == 2 * hour
    else:
        assert offsets[day - dt.timedelta(days=7)] == 2 * hour
        assert offsets[day] == hour


@pytest.mark.parametrize("day", [LAST_SUNDAY_OF_MARCH, LAST_SUNDAY_OF_OCTOBER])
@pytest.mark.parametrize("minutes", [15, 20, 30, 45, 60, 90, 120])
@pytest.mark.parametrize("start", [dt.time(0, 0), dt.time(0, 45), dt.time(1, 30), dt.time(2, 0), dt.time(2, 30)])
def test_a_night_range_never_yields_nonexistent_duplicated_or_overlapping_times(day, minutes, start):
    slots = [s for s in _slots(day, start, dt.time(5), minutes) if s.local_start.date() == day]
    # A range starting inside the March gap is shorter than it looks: a long slot may not fit.
    assert slots or (day.month == 3 and start.hour == 2)
    walls = [s.local_start.replace(tzinfo=None) for s in slots]
    for slot, wall in zip(slots, walls, strict=True):
        assert local_instant(day, wall.time()) == slot.starts_at  # exists, and is its first occurrence
        assert slot.ends_at - slot.starts_at == dt.timedelta(minutes=minutes)
    assert len(set(walls)) == len(walls)
    assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(slots))
    if day.month == 3:
        assert not any(wall.hour == 2 for wall in walls)


def test_the_gap_and_the_repeated_hour():
    march = [
        s.local_start.strftime("%H:%M")
        for s in _slots(LAST_SUNDAY_OF_MARCH, dt.time(1), dt.time(4), 30)
        if s.local_start.date() == LAST_SUNDAY_OF_MARCH
    ]
    assert march == ["01:00", "01:30", "03:00", "03:30"]
    october = [
        s.local_start
        for s in _slots(LAST_SUNDAY_OF_OCTOBER, dt.time(1), dt.time(4), 30)
        if s.local_start.date() == LAST_SUNDAY_OF_OCTOBER
    ]
    assert [w.strftime("%H:%M") for w in october] == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert [w.fold for w in october] == [0] * 6


def test_absences_and_appointments_are_taken_out():
    day = dt.date(2027, 6, 1)
    nine = dt.datetime(2027, 6, 1, 9, tzinfo=PARIS)
    busy = [(7, nine, nine + dt.timedelta(minutes=45)), (8, nine, nine + dt.timedelta(hours=3))]  # 8: someone else
    today = [
        s.local_start.strftime("%H:%M")
        for s in _slots(day, dt.time(9), dt.time(11), 30, busy)
        if s.local_start.date() == day
    ]
    assert today == ["10:00", "10:30"]


def test_a_one_off_range_and_validity_dates():
    day = dt.date(2027, 6, 1)
    one_off = RangeData(1, 7, 3, "phone", None, None, day, dt.time(14), dt.time(15))
    weekly_ended = RangeData(
        2, 7, 3, "phone", None, day.weekday(), None, dt.time(9), dt.time(10), valid_until=day - dt.timedelta(days=1)
    )
    slots = compute_slots(
        ranges=[one_off, weekly_ended],
        busy=BusyIndex([]),
        duration=dt.timedelta(minutes=60),
        start_day=day,
        end_day=day + dt.timedelta(days=14),
    )
    assert [(s.local_start.date(), s.local_start.hour) for s in slots] == [(day, 14)]


# ------------------------------------------------------------------- slots (database)


@pytest.mark.django_db
def test_motive_slots_take_a_constant_number_of_queries(personas, fabrique, django_assert_num_queries):
    desk = make_desk(personas, fabrique)
    tuesday = next_weekday(1)
    for weeks in range(8):
        Absence.objects.create(
            organisation=personas.structure,
            advisor=personas.advisor,
            starts_at=at(tuesday + dt.timedelta(weeks=weeks), 9),
            ends_at=at(tuesday + dt.timedelta(weeks=weeks), 9, 30),
        )
    with django_assert_num_queries(3):
        slots = motive_slots(desk.motive, start_day=tuesday, end_day=tuesday + dt.timedelta(weeks=8))
    assert [s.local_start.strftime("%H:%M") for s in slots[:5]] == ["09:30", "10:00", "10:30", "11:00", "11:30"]


@pytest.mark.django_db
def test_a_former_advisor_offers_no_slot(personas, fabrique):
    desk = make_desk(personas, fabrique)
    personas.advisor.memberships.update(is_active=False)
    tuesday = next_weekday(1)
    assert motive_slots(desk.motive, start_day=tuesday, end_day=tuesday) == []


@pytest.mark.django_db
def test_first_slots_across_structures_near_me(personas, fabrique, django_assert_num_queries):
    desk = make_desk(personas, fabrique)
    other = make_desk(
        personas, fabrique, advisor=personas.other_structure_advisor, organisation=personas.other_structure
    )
    # The other structure opens earlier, by phone (remote counts as near everyone).
    phone = AvailabilityRange.objects.create(
        organisation=personas.other_structure,
        advisor=personas.other_structure_advisor,
        mode=LocationMode.PHONE,
        weekday=0,
        start_time=dt.time(14),
        end_time=dt.time(15),
    )
    phone.motives.add(other.motive)
    far_away = CommuneFactory()
    with django_assert_num_queries(4):  # motives (visible structures in a subquery), ranges, absences, appointments
        found = first_slots(fabrique, theme="coaching", commune=far_away)
    assert [(f.motive.pk, f.slot.mode) for f in found] == [(other.motive.pk, "phone")]
    near = first_slots(fabrique, theme="coaching", commune=desk.place.commune)
    assert {f.motive.pk for f in near} == {desk.motive.pk, other.motive.pk}
    assert near == sorted(near, key=lambda f: f.slot.starts_at)
    assert first_slots(fabrique, theme="financing") == []


# ------------------------------------------------------------------------- booking
@pytest.mark.django_db
def test_a_holder_books_an_offered_slot_and_the_next_one_gets_a_clean_message(personas, fabrique):
    desk = make_desk(personas, fabrique)
    slot = motive_slots(desk.motive, start_day=next_weekday(1), end_day=next_weekday(1))[0]
    kwargs = {
        "fabrique": fabrique,
        "motive": desk.motive,
        "advisor_id": slot.advisor_id,
        "starts_at": slot.starts_at,
        "mode": "place",
        "place_id": desk.place.pk,
    }
    appointment = services.appointment_book(holder=desk.holder, by=personas.holder, **kwargs)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)
    assert appointment.booked_by == personas.holder
    other = HolderFactory(fabrique=fabrique)
    with pytest.raises(services.SlotTaken) as error:
        services.appointment_book(holder=other, by=personas.holder, **kwargs)
    assert error.value.messages == ["Ce créneau vient d'être pris, choisissez-en un autre."]
    # An advisor, who skips the slot check, hits the database's constraint: same message.
    with pytest.raises(services.SlotTaken):
        services.appointment_book(holder=other, by=personas.advisor, on_behalf=True, **kwargs)
    # A time that is not offered (08:00) is refused to a holder, accepted from an advisor.
    kwargs["starts_at"] = at(next_weekday(1), 8)
    with pytest.raises(services.SlotTaken):
        services.appointment_book(holder=other, by=personas.holder, **kwargs)
    assert services.appointment_book(holder=other, by=personas.advisor, on_behalf=True, **kwargs).pk


@pytest.mark.django_db
def test_the_database_refuses_overlaps_but_not_cancelled_ones(personas, fabrique):
    desk = make_desk(personas, fabrique)
    start = at(next_weekday(1), 9)
    fields = {
        "fabrique": fabrique,
        "organisation": personas.structure,
        "advisor": personas.advisor,
        "holder": desk.holder,
        "motive": desk.motive,
        "mode": "phone",
    }
    Appointment.objects.create(starts_at=start, ends_at=start + dt.timedelta(minutes=30), **fields)
    Appointment.objects.create(  # back to back: '[)' ranges do not overlap
        starts_at=start + dt.timedelta(minutes=30), ends_at=start + dt.timedelta(minutes=60), **fields
    )
    with pytest.raises(IntegrityError) as error:
        Appointment.objects.create(
            starts_at=start + dt.timedelta(minutes=15), ends_at=start + dt.timedelta(minutes=45), **fields
        )
    assert services.is_double_booking(error.value)


@pytest.mark.django_db
def test_booking_checks(personas, fabrique, other_fabrique):
    desk = make_desk(personas, fabrique)
    start = at(next_weekday(1), 9)
    base = {"motive": desk.motive, "advisor_id": personas.advisor.pk, "starts_at": start, "by": personas.advisor}
    cases = [
        ({"fabrique": other_fabrique, "holder": desk.holder, "mode": "phone"}, "wrong_fabrique"),
        ({"fabrique": fabrique, "holder": desk.holder, "mode": "video"}, "mode"),
        ({"fabrique": fabrique, "holder": desk.holder, "mode": "place"}, "place"),
        (
            {"fabrique": fabrique, "holder": desk.holder, "mode": "phone", "starts_at": at(dt.date(2020, 1, 7), 9)},
            "past",
        ),
        (
            {
                "fabrique": fabrique,
                "holder": desk.holder,
                "mode": "phone",
                "advisor_id": personas.other_structure_advisor.pk,
            },
            "advisor",
        ),
    ]
    for extra, code in cases:
        with pytest.raises(ValidationError) as error:
            services.appointment_book(**{**base, "on_behalf": True, **extra})
        assert error.value.code == code, extra
    desk.motive.bookable_online = False
    desk.motive.save()
    with pytest.raises(ValidationError) as error:
        services.appointment_book(**{**base, "fabrique": fabrique, "holder": desk.holder, "mode": "phone"})
    assert error.value.code == "advisors_only"


def _book_by_advisor(desk, fabrique, personas, start, mode="phone"):
    return services.appointment_book(
        fabrique=fabrique,
        holder=desk.holder,
        motive=desk.motive,
        advisor_id=personas.advisor.pk,
        starts_at=start,
        mode=mode,
        place_id=desk.place.pk if mode == "place" else None,
        by=personas.advisor,
        on_behalf=True,
    )


@pytest.mark.django_db
def test_reschedule_cancel_and_outcomes(personas, fabrique):
    desk = make_desk(personas, fabrique)
    tuesday = next_weekday(1)
    first = _book_by_advisor(desk, fabrique, personas, at(tuesday, 9))
    blocker = _book_by_advisor(desk, fabrique, personas, at(tuesday, 11))
    # Moving onto a taken slot changes nothing.
    with pytest.raises(services.SlotTaken):
        services.appointment_reschedule(appointment=first, starts_at=at(tuesday, 11), by=personas.advisor)
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED
    # Moving by 15 minutes onto its own time works: the old one is cancelled first.
    moved = services.appointment_reschedule(
        appointment=first, starts_at=at(tuesday, 9, 15), by=personas.advisor, reason="Demande du porteur"
    )
    first.refresh_from_db()
    assert (first.status, first.cancel_reason, first.cancelled_by) == (
        "cancelled",
        "Demande du porteur",
        personas.advisor,
    )
    assert moved.rescheduled_from == first
    assert moved.status == "booked"
    with pytest.raises(ValidationError):
        services.appointment_cancel(appointment=first, by=personas.holder)
    services.appointment_cancel(appointment=blocker, by=personas.holder, reason="Empêchement")
    blocker.refresh_from_db()
    assert blocker.status == "cancelled"
    assert blocker.cancelled_by == personas.holder
    with pytest.raises(ValidationError) as error:
        services.appointment_mark_seen(appointment=moved, by=personas.advisor)
    assert error.value.code == "not_started"
    after = moved.starts_at + dt.timedelta(minutes=5)
    seen = services.appointment_mark_seen(appointment=moved, by=personas.advisor, note="Projet de traiteur", now=after)
    follow_up = FollowUp.objects.get(pk=seen.follow_up_id)
    assert (follow_up.kind, follow_up.duration_minutes, follow_up.author) == ("phone", 30, personas.advisor)
    assert follow_up.holder == desk.holder
    assert follow_up.organisation == personas.structure
    assert "Projet de traiteur" in follow_up.summary
    link = SupportLink.objects.get(holder=desk.holder, organisation=personas.structure)
    assert (link.origin, link.referent) == ("appointment", personas.advisor)
    with pytest.raises(ValidationError):
        services.appointment_mark_no_show(appointment=seen, by=personas.advisor, now=after)


@pytest.mark.django_db
def test_no_show_and_excused(personas, fabrique):
    desk = make_desk(personas, fabrique)
    tuesday = next_weekday(1)
    one = _book_by_advisor(desk, fabrique, personas, at(tuesday, 9))
    two = _book_by_advisor(desk, fabrique, personas, at(tuesday, 10))
    with pytest.raises(ValidationError):
        services.appointment_mark_no_show(appointment=one, by=personas.advisor)
    services.appointment_mark_no_show(appointment=one, by=personas.advisor, now=at(tuesday, 9, 20))
    excused = services.appointment_mark_excused(appointment=two, by=personas.advisor, note="Enfant malade")
    assert (excused.status, excused.outcome_by, excused.outcome_note) == ("excused", personas.advisor, "Enfant malade")
    # Excused frees the time, a no-show keeps it.
    assert _book_by_advisor(desk, fabrique, personas, at(tuesday, 10)).pk
    with pytest.raises(services.SlotTaken):
        _book_by_advisor(desk, fabrique, personas, at(tuesday, 9))


# ------------------------------------------------------------- 100 concurrent bookings
CONCURRENT_BOOKINGS = 100
TOO_MANY_CONNECTIONS = "53300"


def _connect_with_patience(deadline: float) -> None:
    """Open this thread's connection. The server accepts about 100 clients and the test runner holds
    some: a refused *connection* is waited for (it is the test rig's limit, not a booking error)."""
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as error:
            # libpq reports a refused connection without an SQLSTATE: the message is all there is.
            refused = getattr(error.__cause__, "sqlstate", None) == TOO_MANY_CONNECTIONS or "too many clients" in str(
                error
            )
            if not refused or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _race(count: int, book: Callable[[int], object]) -> list[str]:
    """Run `book(i)` for i in range(count) in as many threads, released together, each on its own
    connection; return the outcomes: "booked", "taken" or "error: …"."""
    connection.close()  # leave the connections to the threads
    go = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        outcome = "not run"
        try:
            go.wait(10)
            _connect_with_patience(time.monotonic() + 30)
            book(index)
            outcome = "booked"
        except services.SlotTaken:
            outcome = "taken"
        except Exception as error:
            outcome = f"error: {error!r}"
        finally:
            connection.close()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_bookings_of_one_slot_one_wins_none_errors(personas, fabrique):
    desk = make_desk(personas, fabrique)
    slot = motive_slots(desk.motive, start_day=next_weekday(1), end_day=next_weekday(1))[0]
    holders = [HolderFactory(fabrique=fabrique) for _ in range(CONCURRENT_BOOKINGS)]

    def book(index: int) -> object:
        return services.appointment_book(
            fabrique=fabrique,
            holder=holders[index],
            motive=desk.motive,
            advisor_id=slot.advisor_id,
            starts_at=slot.starts_at,
            mode="place",
            place_id=desk.place.pk,
            by=personas.advisor if index % 2 else personas.holder,
            on_behalf=bool(index % 2),  # half skip the slot check and meet the constraint directly
        )

    outcomes = _race(CONCURRENT_BOOKINGS, book)
    assert [o for o in outcomes if o not in ("booked", "taken")] == []
    assert len(outcomes) == CONCURRENT_BOOKINGS
    assert outcomes.count("booked") == 1
    assert outcomes.count("taken") == CONCURRENT_BOOKINGS - 1
    assert Appointment.objects.filter(advisor=personas.advisor, starts_at=slot.starts_at).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_overlapping_times_never_error(personas, fabrique):
    """Different but overlapping times (9:00, 9:05, 9:10… for 30 minutes): without the agenda lock
    PostgreSQL aborted some of them as deadlocks while checking the exclusion constraint."""
    desk = make_desk(personas, fabrique)
    tuesday = next_weekday(1)
    holders = [HolderFactory(fabrique=fabrique) for _ in range(24)]

    def book(index: int) -> object:
        return services.appointment_book(
            fabrique=fabrique,
            holder=holders[index],
            motive=desk.motive,
            advisor_id=personas.advisor.pk,
            starts_at=at(tuesday, 9, 0) + dt.timedelta(minutes=5 * index),
            mode="place",
            place_id=desk.place.pk,
            by=personas.advisor,
            on_behalf=True,
        )

    outcomes = _race(len(holders), book)
    assert [o for o in outcomes if o not in ("booked", "taken")] == []
    booked = list(Appointment.objects.filter(advisor=personas.advisor).order_by("starts_at"))
    # Whatever the order, each booking blocks the starts within 25 minutes of its own: 3 at least.
    assert len(booked) == outcomes.count("booked") >= 3
    assert all(first.ends_at <= second.starts_at for first, second in itertools.pairwise(booked))


@pytest.mark.django_db
def test_a_place_of_the_range_is_required_on_site(personas, fabrique):
    desk = make_desk(personas, fabrique)
    other_place = PlaceFactory()
    slot = motive_slots(desk.motive, start_day=next_weekday(1), end_day=next_weekday(1))[0]
    with pytest.raises(services.SlotTaken):  # not offered at that place
        services.appointment_book(
            fabrique=fabrique,
            holder=desk.holder,
            motive=desk.motive,
            advisor_id=slot.advisor_id,
            starts_at=slot.starts_at,
            mode="place",
            place_id=other_place.pk,
            by=personas.holder,
        )
