"""Shared data of the appointment tests: a structure with a motive, a place and an advisor's ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accompaniment.appointments.models import AvailabilityRange, LocationMode, Motive
from accompaniment.appointments.slots import PARIS
from accompaniment.catalogue.models import Structure
from accompaniment.journeys.models import Holder
from tests.factories import HolderFactory, PlaceFactory, StructureFactory


@dataclass
class Desk:
    structure: Any
    motive: Any
    place: Any
    range: Any
    holder: Any


def next_weekday(weekday: int, *, weeks_ahead: int = 1) -> dt.date:
    """A local date on `weekday`, at least `weeks_ahead` weeks from today."""
    today = timezone.localdate()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute)).replace(tzinfo=PARIS).astimezone(dt.UTC)


def make_desk(personas: Any, fabrique: Any, *, advisor: Any = None, organisation: Any = None) -> Desk:
    """The advisor persona's structure (BGE), a 30-minute motive on site or by phone, and a range
    every Tuesday 09:00–12:00 at a place of the Fabrique's perimeter."""
    organisation = organisation or personas.structure
    advisor = advisor or personas.advisor
    structure = Structure.objects.filter(organisation=organisation).first()
    if structure is None:
        structure = StructureFactory(organisation=organisation, name=organisation.name)
    place = PlaceFactory()
    fabrique.perimeter.add(place.commune.epci)
    motive = Motive.objects.create(
        organisation=organisation,
        name="Premier accueil",
        theme="coaching",
        duration_minutes=30,
        modes=[LocationMode.PLACE, LocationMode.PHONE],
        min_notice_hours=0,
        max_days_ahead=90,
    )
    weekly = AvailabilityRange.objects.create(
        organisation=organisation,
        advisor=advisor,
        mode=LocationMode.PLACE,
        place=place,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    weekly.motives.add(motive)
    holder = Holder.objects.filter(fabrique=fabrique, user=personas.holder).first() or HolderFactory(
        fabrique=fabrique, user=personas.holder, email=personas.holder.email
    )
    return Desk(structure, motive, place, weekly, holder)
