"""`python -m bench.appointments_slots`: slot computation and booking throughput (issue 6).

On the `fabrique_bench` database (see bench/database.py; DATABASE_URL's server, else the
embedded PostgreSQL). Data (idempotent): in the bench Fabrique, one structure, one advisor with
a year of opening ranges — one one-off range per working day, 09:00–12:00 and 14:00–17:00
(about 500 ranges), plus a weekly Saturday range — 2,000 booked appointments spread over the
year and 24 absences. Then, each figure beside a baseline measured in the same run:

- `motive_slots` for one week, four weeks and the whole year (its 3 queries included), and the
  pure computation alone; baseline: the same candidate slots checked against every busy
  interval in a plain loop (no merge, no bisection);
- bookings per second through `appointment_book` (the holder's path: the slot is checked, then
  inserted; the exclusion constraint settles races), with T threads each on its own connection:
  without contention (each thread its own advisor) and with contention (every thread racing for
  the same advisor's slots, in the same order), on Saturday ranges kept for the bench. E-mails are not sent (the notification is
  replaced by a no-op: this measures booking, not SMTP). Exit code 1 if any booking raised
  anything but `SlotTaken`, or if an advisor ended up with overlapping live appointments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence

APPOINTMENTS = 2_000
ORG_NAME = "Banc d'essai des rendez-vous"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    from bench.database import setup_django_on_bench_database

    setup_django_on_bench_database()


def ensure_data(threads: int):  # -> (motive, advisors, holders)
    from django.utils import timezone

    from accompaniment.appointments.models import Absence, Appointment, AvailabilityRange, LocationMode, Motive
    from accompaniment.appointments.slots import PARIS
    from accompaniment.catalogue.models import Structure
    from accompaniment.journeys.models import Holder
    from bench.fixtures import BENCH_SLUG, ensure_bench_fabrique
    from fabrique.models import Fabrique, Membership, Organisation, Role, User

    ensure_bench_fabrique()
    fabrique = Fabrique.objects.get(slug=BENCH_SLUG)
    organisation, _ = Organisation.objects.get_or_create(name=ORG_NAME, kind=Organisation.Kind.SUPPORT_ACTOR)
    organisation.fabriques.add(fabrique)
    Structure.objects.get_or_create(
        organisation=organisation, defaults={"name": ORG_NAME, "slug": "banc-rdv", "network": "bge"}
    )
    motive, _ = Motive.objects.get_or_create(
        organisation=organisation,
        name="Premier accueil (banc)",
        defaults={"duration_minutes": 30, "modes": [LocationMode.PHONE], "min_notice_hours": 0, "max_days_ahead": 366},
    )
    advisors = []
    for number in range(threads + 1):
        user, _ = User.objects.get_or_create(email=f"conseiller-banc-{number}@example.test")
        Membership.objects.get_or_create(user=user, role=Role.ADVISOR, organisation=organisation, fabrique=None)
        advisors.append(user)
    holders = list(Holder.objects.filter(fabrique=fabrique, last_name="Banc").order_by("pk")[:APPOINTMENTS])
    if len(holders) < APPOINTMENTS:
        Holder.objects.bulk_create(
            Holder(fabrique=fabrique, first_name=f"Porteur{n}", last_name="Banc")
            for n in range(APPOINTMENTS - len(holders))
        )
        holders = list(Holder.objects.filter(fabrique=fabrique, last_name="Banc").order_by("pk")[:APPOINTMENTS])
    main = advisors[0]
    for other in advisors[1:]:  # the threads' own advisors: Saturday mornings, like the main one
        if not AvailabilityRange.objects.filter(advisor=other).exists():
            weekly = AvailabilityRange.objects.create(
                organisation=organisation,
                advisor=other,
                mode="phone",
                weekday=5,
                start_time=dt.time(9),
                end_time=dt.time(12),
            )
            weekly.motives.add(motive)
    today = timezone.localdate()
    year = [today + dt.timedelta(days=n) for n in range(366)]
    if not AvailabilityRange.objects.filter(advisor=main).exists():
        started = time.perf_counter()
        ranges = [
            AvailabilityRange(
                organisation=organisation, advisor=main, mode="phone", date=day, start_time=start, end_time=end
            )
            for day in year
            if day.weekday() < 5
            for start, end in ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(17)))
        ]
        ranges.append(
            AvailabilityRange(
                organisation=organisation,
                advisor=main,
                mode="phone",
                weekday=5,
                start_time=dt.time(9),
                end_time=dt.time(12),
                valid_from=today,
                valid_until=today + dt.timedelta(days=365),
            )
        )
        created = AvailabilityRange.objects.bulk_create(ranges)
        AvailabilityRange.motives.through.objects.bulk_create(
            AvailabilityRange.motives.through(availabilityrange_id=r.pk, motive_id=motive.pk) for r in created
        )
        Absence.objects.bulk_create(
            Absence(
                organisation=organisation,
                advisor=main,
                starts_at=dt.datetime.combine(today + dt.timedelta(days=15 * n + 3), dt.time(0)).replace(tzinfo=PARIS),
                ends_at=dt.datetime.combine(today + dt.timedelta(days=15 * n + 4), dt.time(0)).replace(tzinfo=PARIS),
                reason="Formation",
            )
            for n in range(24)
        )
        log(f"data created in {time.perf_counter() - started:.1f} s")
    seeded = Appointment.objects.filter(advisor=main).exclude(note="banc")
    if seeded.count() != APPOINTMENTS:
        seeded.delete()
        # 8 of the 12 half-hour slots of each working day from tomorrow on, until 2,000.
        working = [day for day in year if day.weekday() < 5][1:]
        positions = [(h, m) for h in (9, 10, 11, 14, 15, 16) for m in (0, 30)]
        appointments = []
        for n in range(APPOINTMENTS):
            hour, minute = positions[(n % 8) + (n // 8) % 5]
            start = dt.datetime.combine(working[n // 8], dt.time(hour, minute)).replace(tzinfo=PARIS)
            appointments.append(
                Appointment(
                    fabrique=fabrique,
                    organisation=organisation,
                    advisor=main,
                    holder=holders[n],
                    motive=motive,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                    mode="phone",
                )
            )
        Appointment.objects.bulk_create(appointments)
    log(
        f"advisor {main.email}: {AvailabilityRange.objects.filter(advisor=main).count()} ranges, "
        f"{Appointment.objects.live().filter(advisor=main).count()} live appointments, "
        f"{Absence.objects.filter(advisor=main).count()} absences"
    )
    return fabrique, motive, advisors, holders


def timed(run: Callable[[], object], rounds: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def naive_slots(ranges, intervals, duration, start_day, end_day):
    """Baseline: candidate slots checked against every busy interval in turn."""
    from accompaniment.appointments.slots import BusyIndex, compute_slots

    candidates = compute_slots(
        ranges=ranges, busy=BusyIndex([]), duration=duration, start_day=start_day, end_day=end_day
    )
    return [
        s
        for s in candidates
        if not any(a == s.advisor_id and b < s.ends_at and s.starts_at < e for a, b, e in intervals)
    ]


def measure_slots(motive, advisor, rounds: int) -> list[tuple[str, int, float, float, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accompaniment.appointments.models import Absence, Appointment
    from accompaniment.appointments.slots import (
        _window,
        busy_index,
        compute_slots,
        motive_slots,
        ranges_by_motive,
    )

    today = timezone.localdate()
    rows = []
    duration = dt.timedelta(minutes=motive.duration_minutes)
    intervals = [
        *Absence.objects.filter(advisor=advisor).values_list("advisor_id", "starts_at", "ends_at"),
        *Appointment.objects.live().filter(advisor=advisor).values_list("advisor_id", "starts_at", "ends_at"),
    ]
    for label, days in (("1 week", 7), ("4 weeks", 28), ("1 year", 366)):
        end = today + dt.timedelta(days=days - 1)
        with CaptureQueriesContext(connection) as queries:
            motive_slots(motive, start_day=today, end_day=end, advisor_id=advisor.pk, by_advisor=True)
        full, slots = timed(
            lambda end=end: motive_slots(motive, start_day=today, end_day=end, advisor_id=advisor.pk, by_advisor=True),
            rounds,
        )
        ranges = ranges_by_motive([motive.pk], today, end, advisor_id=advisor.pk)[motive.pk]
        busy = busy_index([advisor.pk], _window(today), _window(end + dt.timedelta(days=1)))
        pure, _ = timed(
            lambda end=end, ranges=ranges, busy=busy: compute_slots(
                ranges=ranges, busy=busy, duration=duration, start_day=today, end_day=end
            ),
            rounds,
        )
        naive, naive_result = timed(
            lambda end=end, ranges=ranges: naive_slots(ranges, intervals, duration, today, end), max(1, rounds // 3)
        )
        if [s.starts_at for s in naive_result] != [
            s.starts_at
            for s in compute_slots(
                ranges=ranges, busy=busy, duration=duration, start_day=today, end_day=end, not_before=None
            )
        ]:
            log(f"{label}: the baseline disagrees with compute_slots")
        rows.append((label, len(slots), full, pure, len(queries.captured_queries), naive))
    return rows


def measure_bookings(fabrique, motive, advisors, holders, *, threads: int, seconds: float, contended: bool):
    """Bookings/s over `seconds` with `threads` threads; returns (booked, taken, errors, elapsed)."""
    from django.db import connection
    from django.utils import timezone

    from accompaniment.appointments import services
    from accompaniment.appointments.models import Appointment
    from accompaniment.appointments.slots import motive_slots

    services._notify = lambda appointment, kind: None  # type: ignore[assignment]  # no e-mail in the bench
    today = timezone.localdate()
    # Bench bookings go on Saturdays (the weekly range), far from the 2,000 seeded appointments.
    Appointment.objects.filter(note="banc").delete()
    counts = {"booked": 0, "taken": 0, "errors": 0}
    lock = threading.Lock()
    go = threading.Event()
    stop_at = [0.0]
    errors: list[str] = []

    def worker(index: int) -> None:
        advisor = advisors[0 if contended else index + 1]
        try:
            free = [
                s
                for s in motive_slots(
                    motive,
                    start_day=today,
                    end_day=today + dt.timedelta(days=365),
                    advisor_id=advisor.pk,
                    by_advisor=True,
                )
                if s.local_start.weekday() == 5
            ]
            go.wait()
            position = 0
            while time.perf_counter() < stop_at[0] and position < len(free):
                slot = free[position]
                position += 1
                try:
                    services.appointment_book(
                        fabrique=fabrique,
                        holder=holders[(index * 7919 + position) % len(holders)],
                        motive=motive,
                        advisor_id=advisor.pk,
                        starts_at=slot.starts_at,
                        mode="phone",
                        note="banc",
                        by=None,
                    )
                    outcome = "booked"
                except services.SlotTaken:
                    outcome = "taken"
                except Exception as error:
                    outcome = "errors"
                    errors.append(repr(error))
                with lock:
                    counts[outcome] += 1
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    time.sleep(1.0)  # let every thread fetch its slots first
    started = time.perf_counter()
    stop_at[0] = started + seconds
    go.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    for message in errors[:5]:
        log(f"  error: {message}")
    return counts["booked"], counts["taken"], counts["errors"], elapsed


def overlapping_live_appointments() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
               ON a.advisor_id = b.advisor_id AND a.id < b.id
               AND a.status IN ('booked', 'seen', 'no_show') AND b.status IN ('booked', 'seen', 'no_show')
               AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')"""
        )
        return cursor.fetchone()[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args(argv)
    setup_django()
    fabrique, motive, advisors, holders = ensure_data(options.threads)

    rows = measure_slots(motive, advisors[0], options.rounds)
    print(
        f"\nSlot computation — one advisor, a year of ranges, {APPOINTMENTS:,} appointments (median of {options.rounds})"
    )
    header = (
        f"{'window':<8} {'free slots':>10} {'queries':>7} {'total ms':>9} {'pure ms':>8} {'naive ms':>9} {'x naive':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, count, full, pure, queries, naive in rows:
        print(
            f"{label:<8} {count:>10,} {queries:>7} {full * 1000:>9.1f} {pure * 1000:>8.1f} "
            f"{naive * 1000:>9.1f} {naive / pure:>8.1f}"
        )

    print(f"\nBooking throughput — appointment_book, {options.threads} threads, {options.seconds:.0f} s each")
    header = f"{'case':<34} {'booked/s':>9} {'taken/s':>8} {'errors':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for label, contended in (("no contention (1 advisor/thread)", False), ("contention (all on 1 advisor)", True)):
        booked, taken, errors, elapsed = measure_bookings(
            fabrique, motive, advisors, holders, threads=options.threads, seconds=options.seconds, contended=contended
        )
        print(f"{label:<34} {booked / elapsed:>9.1f} {taken / elapsed:>8.1f} {errors:>7}")
        failed |= errors > 0
    overlaps = overlapping_live_appointments()
    print(f"\noverlapping live appointments of one advisor in the database: {overlaps}")
    from accompaniment.appointments.models import Appointment

    Appointment.objects.filter(note="banc").delete()
    return 1 if failed or overlaps else 0


if __name__ == "__main__":
    sys.exit(main())
