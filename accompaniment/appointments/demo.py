"""Demo availability in the MEL demo Fabrique: the demo BGE advisor's motives and weekly ranges,
and one upcoming appointment for the demo holder, so that booking works out of `make run`.

Idempotent: motives are found by name, ranges by weekday, the appointment by its holder.
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accompaniment.appointments.models import Appointment, AvailabilityRange, LocationMode, Motive
from accompaniment.journeys.demo import ADVISOR_EMAIL, BGE, DEMO_FABRIQUE
from accompaniment.journeys.models import Holder
from fabrique.models import Fabrique, Organisation, User
from territories.models import Place

PARIS = ZoneInfo("Europe/Paris")
HOLDER_EMAIL = "porteur@demo.fabrique.test"
PLACE_SLUG = "mel-espace-ressource-roubaix"
MOTIVES = (
    # name, theme, minutes, modes
    ("Premier rendez-vous d'information", "information", 60, [LocationMode.PLACE, LocationMode.PHONE]),
    ("Point d'étape sur le business plan", "coaching", 45, [LocationMode.PLACE, LocationMode.VIDEO]),
)
RANGES = (
    # weekday (0 = Monday), from, to, mode
    (1, dt.time(9), dt.time(12, 30), LocationMode.PLACE),
    (3, dt.time(14), dt.time(17), LocationMode.PHONE),
    (4, dt.time(9, 30), dt.time(12), LocationMode.VIDEO),
)


def _next(weekday: int, at: dt.time) -> dt.datetime:
    today = timezone.localdate()
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return dt.datetime.combine(day, at, tzinfo=PARIS)


@transaction.atomic
def seed(out: TextIO) -> None:
    fabrique = Fabrique.objects.filter(slug=DEMO_FABRIQUE).first()
    bge = Organisation.objects.filter(name=BGE, kind=Organisation.Kind.SUPPORT_ACTOR).first()
    advisor = User.objects.filter(email=ADVISOR_EMAIL).first()
    place = Place.objects.filter(slug=PLACE_SLUG).first()
    if not (fabrique and bge and advisor):
        out.write("Rendez-vous de démonstration : Fabrique, structure ou conseiller absent, rien créé.\n")
        return
    motives = []
    for name, theme, minutes, modes in MOTIVES:
        if place is None:
            modes = [mode for mode in modes if mode != LocationMode.PLACE]
        motive, _created = Motive.objects.get_or_create(
            organisation=bge,
            name=name,
            defaults={"theme": theme, "duration_minutes": minutes, "modes": modes, "min_notice_hours": 2},
        )
        motives.append(motive)
    for weekday, start, end, mode in RANGES:
        if mode == LocationMode.PLACE and place is None:
            continue
        weekly, created = AvailabilityRange.objects.get_or_create(
            organisation=bge,
            advisor=advisor,
            weekday=weekday,
            defaults={
                "mode": mode,
                "place": place if mode == LocationMode.PLACE else None,
                "start_time": start,
                "end_time": end,
            },
        )
        if created:
            weekly.motives.set(m for m in motives if mode in m.modes)
    holder = Holder.objects.filter(fabrique=fabrique, user__email=HOLDER_EMAIL).first()
    booked = 0
    upcoming = Appointment.objects.filter(holder=holder, starts_at__gte=timezone.now()) if holder else None
    if holder is not None and upcoming is not None and not upcoming.exists() and place is not None:
        starts_at = _next(1, dt.time(10))
        motive = motives[0]
        Appointment.objects.create(
            fabrique=fabrique,
            organisation=bge,
            advisor=advisor,
            holder=holder,
            motive=motive,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=motive.duration_minutes),
            mode=LocationMode.PLACE,
            place=place,
            booked_by=holder.user,
        )
        booked = 1
    out.write(
        f"Rendez-vous de démonstration : {len(motives)} motifs pour {BGE}, "
        f"plages hebdomadaires de {ADVISOR_EMAIL}, {booked} rendez-vous réservé.\n"
    )
