"""Isolation registry entries of the appointments views (issue 6); see tests/isolation_registry.py.

Objects are made for the personas of tests/conftest.py: in `fabrique`, the structure with a
structure manager (the advisor persona's BGE) and the holder persona's own file; in another
Fabrique, a new structure, advisor and holder.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from fabrique.models import Fabrique
from tests.isolation import NoTenantObject, TenantObjectView

_hours = itertools.count(1)


def _desk(fabrique: Fabrique) -> dict[str, Any]:
    """The organisation (with its structure), an advisor and a manager, a motive, a holder file."""
    from accompaniment.appointments.models import LocationMode, Motive
    from accompaniment.catalogue.models import Structure
    from accompaniment.journeys.models import Holder
    from fabrique.models import Membership, Organisation, Role
    from tests.factories import HolderFactory, MembershipFactory, OrganisationFactory, StructureFactory

    organisation = Organisation.objects.filter(fabriques=fabrique, memberships__role=Role.STRUCTURE_MANAGER).first()
    if organisation is None:
        organisation = OrganisationFactory(fabriques=[fabrique])
        for role in (Role.ADVISOR, Role.STRUCTURE_MANAGER):
            MembershipFactory(role=role, organisation=organisation, fabrique=None)
    if not Structure.objects.filter(organisation=organisation).exists():
        StructureFactory(organisation=organisation, name=organisation.name)
    advisor = Membership.objects.filter(organisation=organisation, role=Role.ADVISOR).first().user
    holder_user = Membership.objects.filter(fabrique=fabrique, role=Role.HOLDER).first()
    holder = None
    if holder_user is not None:
        holder = Holder.objects.filter(fabrique=fabrique, user=holder_user.user).first() or HolderFactory(
            fabrique=fabrique, user=holder_user.user
        )
    holder = holder or HolderFactory(fabrique=fabrique)
    motive = Motive.objects.create(
        organisation=organisation, name="Premier accueil", modes=[LocationMode.PHONE], min_notice_hours=0
    )
    return {"organisation": organisation, "advisor": advisor, "holder": holder, "motive": motive}


def _appointment(fabrique: Fabrique):
    from accompaniment.appointments.models import Appointment

    desk = _desk(fabrique)
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3, hours=next(_hours))
    return Appointment.objects.create(
        fabrique=fabrique,
        organisation=desk["organisation"],
        advisor=desk["advisor"],
        holder=desk["holder"],
        motive=desk["motive"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        mode="phone",
    )


def motive_in(fabrique: Fabrique) -> dict[str, int]:
    return {"pk": _desk(fabrique)["motive"].pk}


def appointment_in(fabrique: Fabrique) -> dict[str, int]:
    return {"pk": _appointment(fabrique).pk}


def cancel_token_in(fabrique: Fabrique) -> dict[str, str]:
    from accompaniment.appointments.services import cancel_token

    return {"token": cancel_token(_appointment(fabrique))}


def feed_in(fabrique: Fabrique) -> dict[str, str]:
    from accompaniment.appointments.services import agenda_feed_renew

    return {"token": agenda_feed_renew(fabrique=fabrique, advisor=_desk(fabrique)["advisor"]).token}


def range_in(fabrique: Fabrique) -> dict[str, int]:
    from accompaniment.appointments.models import AvailabilityRange

    desk = _desk(fabrique)
    created = AvailabilityRange.objects.create(
        organisation=desk["organisation"],
        advisor=desk["advisor"],
        mode="phone",
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    created.motives.add(desk["motive"])
    return {"pk": created.pk}


def absence_in(fabrique: Fabrique) -> dict[str, int]:
    from accompaniment.appointments.models import Absence

    desk = _desk(fabrique)
    start = timezone.now() + dt.timedelta(days=10)
    return {
        "pk": Absence.objects.create(
            organisation=desk["organisation"],
            advisor=desk["advisor"],
            starts_at=start,
            ends_at=start + dt.timedelta(days=1),
        ).pk
    }


BOTH = ("get", "post")
REGISTRY: list[TenantObjectView | NoTenantObject] = [
    NoTenantObject("appointments:start", "motives of the structures the current portal shows; public, no identifier"),
    TenantObjectView("appointments:slots", motive_in, allowed_persona="holder"),
    TenantObjectView("appointments:confirm", motive_in, allowed_persona="holder", methods=BOTH),
    TenantObjectView("appointments:cancel_by_link", cancel_token_in, allowed_persona="holder", methods=BOTH),
    NoTenantObject("appointments:mine", "the logged-in holder's own appointments in the current Fabrique"),
    TenantObjectView("appointments:holder_cancel", appointment_in, allowed_persona="holder", methods=BOTH),
    NoTenantObject("appointments:agenda_day", "appointments of the user's structures in the current Fabrique"),
    NoTenantObject("appointments:agenda_week", "appointments of the user's structures in the current Fabrique"),
    NoTenantObject(
        "appointments:agenda_new", "holders, motives and advisors offered from scoped querysets; no URL identifier"
    ),
    TenantObjectView("appointments:agenda_detail", appointment_in, allowed_persona="advisor", methods=BOTH),
    TenantObjectView("appointments:agenda_cancel", appointment_in, allowed_persona="advisor", methods=BOTH),
    TenantObjectView("appointments:agenda_reschedule", appointment_in, allowed_persona="advisor", methods=BOTH),
    NoTenantObject("appointments:agenda_feed", "the logged-in advisor's own feed address in the current Fabrique"),
    TenantObjectView("appointments:agenda_feed_ics", feed_in, allowed_persona="advisor"),
    NoTenantObject("appointments:availability", "ranges, absences and motives of the user's structures here"),
    NoTenantObject("appointments:range_new", "creates a range for one of the user's structures"),
    TenantObjectView("appointments:range_edit", range_in, allowed_persona="advisor", methods=BOTH),
    NoTenantObject("appointments:absence_new", "creates an absence for the user or their structure's staff"),
    TenantObjectView("appointments:absence_edit", absence_in, allowed_persona="advisor", methods=BOTH),
    NoTenantObject("appointments:motive_new", "creates a motive for a structure the user manages"),
    TenantObjectView("appointments:motive_edit", motive_in, allowed_persona="structure_manager", methods=BOTH),
]
