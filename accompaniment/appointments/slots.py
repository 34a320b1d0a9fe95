"""Free slots: opening ranges minus absences minus live appointments, in Europe/Paris.

`compute_slots` is a pure function over plain data, so that it is cheap to test and to
benchmark; `motive_slots` and `first_slots` fetch that data in a constant number of queries
(ranges, absences, appointments) whatever the number of rows.

Wall-clock rules across daylight-saving changes: a range's times are local times, slots step
through local wall-clock times from the range's start; a local time that does not exist (the
spring-forward gap) is skipped, an ambiguous one (the autumn fall-back hour) is taken once, at
its first occurrence (fold=0), and a slot never starts before the previous one of the same
range ended, so no duplicated local time and no overlap can come out.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accompaniment.appointments.models import Absence, Appointment, AvailabilityRange, LocationMode, Motive
from fabrique.models import Fabrique, Membership, Role

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
ADVISOR_ROLES = (Role.ADVISOR, Role.STRUCTURE_MANAGER)
# "First available slot" looks this far ahead at most.
FIRST_SLOTS_DAYS = 60


@dataclass(frozen=True)
class RangeData:
    pk: int
    advisor_id: int
    organisation_id: int
    mode: str
    place_id: int | None
    weekday: int | None
    date: dt.date | None
    start_time: dt.time
    end_time: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    epci_id: int | None = None  # of the place's commune, for "near me"

    def applies_on(self, day: dt.date) -> bool:
        if self.date is not None:
            return self.date == day
        if self.weekday != day.weekday():
            return False
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime
    advisor_id: int
    organisation_id: int
    mode: str
    place_id: int | None = field(default=None, compare=False)
    range_id: int = field(default=0, compare=False)

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(PARIS)

    @property
    def local_end(self) -> dt.datetime:
        return self.ends_at.astimezone(PARIS)


def local_instant(day: dt.date, wall: dt.time) -> dt.datetime | None:
    """The UTC instant of local wall time `wall` on `day` in Paris; None if it does not exist
    (spring-forward gap). An ambiguous time (autumn) is its first occurrence (fold=0)."""
    naive = dt.datetime.combine(day, wall)
    instant = naive.replace(tzinfo=PARIS).astimezone(UTC)
    if instant.astimezone(PARIS).replace(tzinfo=None) != naive:
        return None
    return instant


def _range_end(day: dt.date, wall: dt.time) -> dt.datetime:
    # A range may end inside the gap (02:30 on the spring change): fold=0 then gives the next valid instant.
    return dt.datetime.combine(day, wall).replace(tzinfo=PARIS).astimezone(UTC)


class BusyIndex:
    """Busy intervals per advisor, merged and sorted, answering "does [start, end) overlap?" in O(log n)."""

    def __init__(self, intervals: Iterable[tuple[int, dt.datetime, dt.datetime]]) -> None:
        per_advisor: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for advisor_id, start, end in intervals:
            per_advisor[advisor_id].append((start, end))
        self._starts: dict[int, list[dt.datetime]] = {}
        self._ends: dict[int, list[dt.datetime]] = {}
        for advisor_id, items in per_advisor.items():
            items.sort()
            merged: list[list[dt.datetime]] = []
            for start, end in items:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._starts[advisor_id] = [m[0] for m in merged]
            self._ends[advisor_id] = [m[1] for m in merged]

    def overlaps(self, advisor_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        ends = self._ends.get(advisor_id)
        if not ends:
            return False
        position = bisect_right(ends, start)  # first interval ending after `start`
        return position < len(ends) and self._starts[advisor_id][position] < end


def compute_slots(
    *,
    ranges: Sequence[RangeData],
    busy: BusyIndex,
    duration: dt.timedelta,
    start_day: dt.date,
    end_day: dt.date,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    first_day_only: bool = False,
) -> list[Slot]:
    """Free slots of `duration` in the ranges, days `start_day`..`end_day` (local dates), sorted.
    `first_day_only`: stop after the first day that has a free slot (it holds the earliest one)."""
    weekly: dict[int, list[RangeData]] = defaultdict(list)
    one_off: dict[dt.date, list[RangeData]] = defaultdict(list)
    for item in ranges:
        if item.date is not None:
            one_off[item.date].append(item)
        elif item.weekday is not None:
            weekly[item.weekday].append(item)
    slots: list[Slot] = []
    seen: set[tuple[int, dt.datetime, str, int | None]] = set()
    day = start_day
    while day <= end_day:
        for item in (*weekly.get(day.weekday(), ()), *one_off.get(day, ())):
            if not item.applies_on(day):
                continue
            range_end = _range_end(day, item.end_time)
            wall = dt.datetime.combine(day, item.start_time)
            wall_end = dt.datetime.combine(day, item.end_time)
            cursor: dt.datetime | None = None
            while wall + duration <= wall_end:
                start = local_instant(day, wall.time())
                wall += duration
                if start is None:
                    continue
                end = start + duration
                if end > range_end or (cursor is not None and start < cursor):
                    continue
                cursor = end
                if (not_before is not None and start < not_before) or (not_after is not None and start > not_after):
                    continue
                if busy.overlaps(item.advisor_id, start, end):
                    continue
                key = (item.advisor_id, start, item.mode, item.place_id)
                if key in seen:
                    continue
                seen.add(key)
                slots.append(Slot(start, end, item.advisor_id, item.organisation_id, item.mode, item.place_id, item.pk))
        if first_day_only and slots:
            break
        day += dt.timedelta(days=1)
    slots.sort()
    return slots


# --------------------------------------------------------------------------- data access

RANGE_FIELDS = {
    "pk": "availabilityrange_id",
    "advisor_id": "availabilityrange__advisor_id",
    "organisation_id": "availabilityrange__organisation_id",
    "mode": "availabilityrange__mode",
    "place_id": "availabilityrange__place_id",
    "weekday": "availabilityrange__weekday",
    "date": "availabilityrange__date",
    "start_time": "availabilityrange__start_time",
    "end_time": "availabilityrange__end_time",
    "valid_from": "availabilityrange__valid_from",
    "valid_until": "availabilityrange__valid_until",
    "epci_id": "availabilityrange__place__commune__epci_id",
}


def ranges_by_motive(
    motive_ids: Iterable[int], start_day: dt.date, end_day: dt.date, *, advisor_id: int | None = None
) -> dict[int, list[RangeData]]:
    """The ranges serving each motive that apply between the two days (one query). Only ranges
    of advisors still active in the motive's structure count."""
    through = AvailabilityRange.motives.through.objects
    still_member = Membership.objects.active().filter(
        user_id=OuterRef("availabilityrange__advisor_id"),
        organisation_id=OuterRef("availabilityrange__organisation_id"),
        role__in=ADVISOR_ROLES,
    )
    rows = (
        through.filter(motive_id__in=list(motive_ids), motive__organisation_id=F("availabilityrange__organisation_id"))
        .filter(
            Q(availabilityrange__date__range=(start_day, end_day))
            | Q(
                Q(availabilityrange__valid_from__isnull=True) | Q(availabilityrange__valid_from__lte=end_day),
                Q(availabilityrange__valid_until__isnull=True) | Q(availabilityrange__valid_until__gte=start_day),
                availabilityrange__weekday__isnull=False,
            )
        )
        .filter(Exists(still_member))
    )
    if advisor_id is not None:
        rows = rows.filter(availabilityrange__advisor_id=advisor_id)
    result: dict[int, list[RangeData]] = defaultdict(list)
    for row in rows.values("motive_id", *RANGE_FIELDS.values()):
        result[row["motive_id"]].append(RangeData(**{name: row[column] for name, column in RANGE_FIELDS.items()}))
    return result


def busy_index(advisor_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> BusyIndex:
    """Absences and live appointments of these advisors overlapping [start, end) (two queries)."""
    ids = sorted(set(advisor_ids))
    if not ids:
        return BusyIndex([])
    absences = Absence.objects.filter(advisor_id__in=ids, starts_at__lt=end, ends_at__gt=start).values_list(
        "advisor_id", "starts_at", "ends_at"
    )
    # Appointments in every Fabrique and structure: an advisor is one person.
    appointments = (
        Appointment.objects.live()
        .filter(advisor_id__in=ids)
        .overlapping(start, end)
        .values_list("advisor_id", "starts_at", "ends_at")
    )
    return BusyIndex([*absences, *appointments])


def _window(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).replace(tzinfo=PARIS)


def motive_slots(
    motive: Motive,
    *,
    start_day: dt.date,
    end_day: dt.date,
    now: dt.datetime | None = None,
    advisor_id: int | None = None,
    by_advisor: bool = False,
) -> list[Slot]:
    """Free slots of one motive (3 queries). Holders see them within the motive's booking
    window (minimum notice, maximum days ahead); advisors from now on, as far as they like."""
    now = now or timezone.now()
    ranges = ranges_by_motive([motive.pk], start_day, end_day, advisor_id=advisor_id).get(motive.pk, [])
    busy = busy_index({item.advisor_id for item in ranges}, _window(start_day), _window(end_day + dt.timedelta(days=1)))
    if by_advisor:
        not_before, not_after = now, None
    else:
        not_before = now + dt.timedelta(hours=motive.min_notice_hours)
        not_after = now + dt.timedelta(days=motive.max_days_ahead)
    return compute_slots(
        ranges=ranges,
        busy=busy,
        duration=dt.timedelta(minutes=motive.duration_minutes),
        start_day=start_day,
        end_day=end_day,
        not_before=not_before,
        not_after=not_after,
    )


@dataclass(frozen=True)
class FirstSlot:
    motive: Motive
    slot: Slot


def bookable_motives(fabrique: Fabrique) -> Any:
    """Motives holders may book online on this portal: active, of a structure the portal shows."""
    from accompaniment.catalogue.selectors import structures_visible_in

    return (
        Motive.objects.active()
        .filter(bookable_online=True, organisation__structure__in=structures_visible_in(fabrique))
        .select_related("organisation__structure")
    )


def first_slots(
    fabrique: Fabrique,
    *,
    theme: str = "",
    motive_ids: Sequence[int] | None = None,
    commune: Any = None,
    now: dt.datetime | None = None,
    limit: int = 10,
) -> list[FirstSlot]:
    """The first free slot of each bookable motive of the Fabrique's structures (matching the theme),
    earliest first. With a commune, only places in its EPCI, plus phone and video (4 queries)."""
    now = now or timezone.now()
    motives = bookable_motives(fabrique)
    if theme:
        motives = motives.filter(theme=theme)
    if motive_ids is not None:
        motives = motives.filter(pk__in=motive_ids)
    motives_by_pk = {motive.pk: motive for motive in motives}
    if not motives_by_pk:
        return []
    start_day = timezone.localdate(now)
    end_day = start_day + dt.timedelta(
        days=min(FIRST_SLOTS_DAYS, max(m.max_days_ahead for m in motives_by_pk.values()))
    )
    ranges = ranges_by_motive(motives_by_pk, start_day, end_day)
    if commune is not None:
        ranges = {
            motive_id: [r for r in items if r.mode != LocationMode.PLACE or r.epci_id == commune.epci_id]
            for motive_id, items in ranges.items()
        }
    busy = busy_index(
        {r.advisor_id for items in ranges.values() for r in items},
        _window(start_day),
        _window(end_day + dt.timedelta(days=1)),
    )
    found = []
    for motive_id, items in ranges.items():
        motive = motives_by_pk[motive_id]
        slots = compute_slots(
            ranges=items,
            busy=busy,
            duration=dt.timedelta(minutes=motive.duration_minutes),
            start_day=start_day,
            end_day=end_day,
            not_before=now + dt.timedelta(hours=motive.min_notice_hours),
            not_after=now + dt.timedelta(days=motive.max_days_ahead),
            first_day_only=True,
        )
        if slots:
            found.append(FirstSlot(motive, slots[0]))
    found.sort(key=lambda first: (first.slot.starts_at, first.motive.name))
    return found[:limit]
