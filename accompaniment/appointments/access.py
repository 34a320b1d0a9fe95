"""Who sees which appointments, ranges, absences and motives, in the current Fabrique.

- a holder sees their own appointments (their file in this Fabrique);
- advisors and structure managers see the appointments of the structures they work for (that
  serve this Fabrique), whoever the advisor; an advisor edits their own ranges and absences, a
  structure manager those of everyone in their structure, and its motives;
- everything else is a 404, including another Fabrique's or another structure's appointment.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accompaniment.appointments.models import Absence, Appointment, AvailabilityRange, Motive
from accompaniment.appointments.slots import ADVISOR_ROLES
from accompaniment.journeys.access import acting_organisations
from fabrique.models import Fabrique, Membership, Organisation, Role, User


def managed_organisations(user: Any, fabrique: Fabrique) -> QuerySet[Organisation]:
    managed = Membership.objects.active().filter(user=user, role=Role.STRUCTURE_MANAGER).values("organisation_id")
    return acting_organisations(user, fabrique).filter(pk__in=managed)


def agenda_appointments(user: Any, fabrique: Fabrique) -> QuerySet[Appointment]:
    organisations = acting_organisations(user, fabrique).values("pk")
    return Appointment.objects.for_fabrique(fabrique).filter(organisation_id__in=organisations)


def holder_appointments(user: Any, fabrique: Fabrique) -> QuerySet[Appointment]:
    if not user.is_authenticated:
        return Appointment.objects.none()
    return Appointment.objects.for_fabrique(fabrique).filter(holder__user=user)


def colleagues(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """Active advisors and managers of these structures."""
    members = Membership.objects.active().filter(organisation__in=organisations, role__in=ADVISOR_ROLES)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by(
        "first_name", "last_name", "pk"
    )


def editable_advisors(user: Any, fabrique: Fabrique) -> QuerySet[User]:
    """Whose ranges and absences `user` may edit: their own, and their structures' staff if they manage."""
    return colleagues(managed_organisations(user, fabrique)) | User.objects.filter(pk=user.pk)


def _editable(user: Any, fabrique: Fabrique) -> Q:
    return Q(organisation__in=acting_organisations(user, fabrique)) & (
        Q(advisor=user) | Q(organisation__in=managed_organisations(user, fabrique))
    )


def editable_ranges(user: Any, fabrique: Fabrique) -> QuerySet[AvailabilityRange]:
    return AvailabilityRange.objects.filter(_editable(user, fabrique))


def editable_absences(user: Any, fabrique: Fabrique) -> QuerySet[Absence]:
    return Absence.objects.filter(_editable(user, fabrique))


def editable_motives(user: Any, fabrique: Fabrique) -> QuerySet[Motive]:
    return Motive.objects.filter(organisation__in=managed_organisations(user, fabrique))


def usable_motives(user: Any, fabrique: Fabrique) -> QuerySet[Motive]:
    """Motives an advisor may book or attach to a range: active ones of their structures."""
    return (
        Motive.objects.active()
        .filter(organisation__in=acting_organisations(user, fabrique))
        .select_related("organisation")
    )
