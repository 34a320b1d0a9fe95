"""Appointment services: book, reschedule, cancel, record the outcome. Each records who and why,
runs in one transaction under a row lock, and sends its e-mails once the transaction commits.

The database refuses overlapping live appointments of one advisor (exclusion constraint): a
booking that loses the race gets `SlotTaken`, a clean French message, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.appointments.models import (
    NO_DOUBLE_BOOKING,
    SLOT_TAKEN_MESSAGE,
    AgendaFeed,
    Appointment,
    LocationMode,
    Motive,
)
from accompaniment.appointments.slots import ADVISOR_ROLES, motive_slots
from accompaniment.journeys.holders import support_link_ensure
from accompaniment.journeys.models import FollowUp, Holder, SupportLink
from fabrique.jobs import job_enqueue_on_commit
from fabrique.models import Fabrique, Membership

EXCLUSION_VIOLATION = "23P01"
# First key of the advisory locks taken on an advisor's agenda (the second is the advisor's id).
AGENDA_LOCK_NAMESPACE = 6_011
MODE_TO_FOLLOW_UP_KIND = {
    LocationMode.PLACE: FollowUp.Kind.INTERVIEW,
    LocationMode.PHONE: FollowUp.Kind.PHONE,
    LocationMode.VIDEO: FollowUp.Kind.VIDEO,
}
CANCEL_SALT = "appointments.cancel"
# A cancellation link works this long (and never once the appointment has started).
CANCEL_LINK_MAX_AGE = dt.timedelta(days=90)


class SlotTaken(ValidationError):
    def __init__(self) -> None:
        super().__init__(str(SLOT_TAKEN_MESSAGE), code="slot_taken")


def is_double_booking(error: IntegrityError) -> bool:
    """True when `error` is our exclusion constraint refusing an overlapping appointment."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) != EXCLUSION_VIOLATION:
        return False
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", NO_DOUBLE_BOOKING) == NO_DOUBLE_BOOKING


def _notify(appointment: Appointment, kind: str) -> None:
    from accompaniment.appointments import tasks

    job_enqueue_on_commit(tasks.appointment_notify, appointment.pk, kind)


def _advisor_works_for(advisor_id: int, organisation_id: int) -> bool:
    return (
        Membership.objects.active()
        .filter(user_id=advisor_id, organisation_id=organisation_id, role__in=ADVISOR_ROLES)
        .exists()
    )


def _check_booking(
    *,
    fabrique: Fabrique,
    holder: Holder,
    motive: Motive,
    advisor_id: int,
    starts_at: dt.datetime,
    mode: str,
    place_id: int | None,
    on_behalf: bool,
    now: dt.datetime,
) -> None:
    if holder.fabrique_id != fabrique.pk or not motive.organisation.fabriques.filter(pk=fabrique.pk).exists():
        raise ValidationError(_("Ce rendez-vous ne peut pas être pris sur ce portail."), code="wrong_fabrique")
    if not motive.is_active:
        raise ValidationError(_("Ce motif de rendez-vous n'est plus proposé."), code="inactive_motive")
    if mode not in motive.modes:
        raise ValidationError(_("Cette modalité n'est pas proposée pour ce motif."), code="mode")
    if (mode == LocationMode.PLACE) != (place_id is not None):
        raise ValidationError(_("Choisissez un lieu pour un rendez-vous sur place, et seulement alors."), code="place")
    if starts_at <= now:
        raise ValidationError(_("Ce créneau est déjà passé."), code="past")
    if not _advisor_works_for(advisor_id, motive.organisation_id):
        raise ValidationError(_("Ce conseiller ne reçoit pas pour cette structure."), code="advisor")
    if on_behalf:
        return  # advisors may book outside the opening ranges; the database still forbids overlaps
    if not motive.bookable_online:
        raise ValidationError(_("Ce motif se réserve auprès d'un conseiller."), code="advisors_only")
    day = timezone.localdate(starts_at)
    offered = motive_slots(motive, start_day=day, end_day=day, now=now, advisor_id=advisor_id)
    if not any(s.starts_at == starts_at and s.mode == mode and s.place_id == place_id for s in offered):
        raise SlotTaken


def appointment_book(
    *,
    fabrique: Fabrique,
    holder: Holder,
    motive: Motive,
    advisor_id: int,
    starts_at: dt.datetime,
    mode: str,
    by: Any,
    place_id: int | None = None,
    note: str = "",
    on_behalf: bool = False,
    rescheduled_from: Appointment | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book a slot. A holder (`on_behalf=False`) gets only a slot the motive offers online; an
    advisor books for a holder at any free time. SlotTaken when someone was faster."""
    now = now or timezone.now()
    _check_booking(
        fabrique=fabrique,
        holder=holder,
        motive=motive,
        advisor_id=advisor_id,
        starts_at=starts_at,
        mode=mode,
        place_id=place_id,
        on_behalf=on_behalf,
        now=now,
    )
    appointment = Appointment(
        fabrique=fabrique,
        organisation_id=motive.organisation_id,
        advisor_id=advisor_id,
        holder=holder,
        motive=motive,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=motive.duration_minutes),
        mode=mode,
        place_id=place_id,
        note=note,
        booked_by=by if getattr(by, "is_authenticated", False) else None,
        rescheduled_from=rescheduled_from,
    )
    # Constraints are the database's job: the overlap check in Python would only be a racy guess.
    appointment.full_clean(
        exclude=["fabrique", "organisation", "advisor", "holder", "motive", "place", "booked_by"],
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            _lock_agenda(advisor_id)
            appointment.save(force_insert=True)
            _notify(appointment, "change" if rescheduled_from else "confirmation")
    except IntegrityError as error:
        if is_double_booking(error):
            raise SlotTaken from None
        raise
    return appointment


def _lock_agenda(advisor_id: int) -> None:
    """Take the advisor's agenda lock until the transaction ends.

    The exclusion constraint is what forbids a double booking; this lock only queues concurrent
    bookings of one advisor. Without it, inserts of *overlapping but different* ranges wait for
    each other while PostgreSQL checks the constraint and some abort as deadlocks (the booking
    bench had 7 in 5 s with 8 threads on one advisor): an error page instead of « pris ».
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [AGENDA_LOCK_NAMESPACE, advisor_id])


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().select_related("motive").get(pk=appointment.pk)


def _require_booked(appointment: Appointment) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            _("Ce rendez-vous est déjà « %(status)s ».") % {"status": appointment.get_status_display().lower()},
            code="not_booked",
        )


def _cancel_fields(appointment: Appointment, *, by: Any, reason: str, now: dt.datetime) -> None:
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_by = by if getattr(by, "is_authenticated", False) else None
    appointment.cancelled_at = now
    appointment.cancel_reason = reason[:300]
    appointment.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])


def appointment_cancel(
    *, appointment: Appointment, by: Any, reason: str = "", now: dt.datetime | None = None
) -> Appointment:
    """Cancel a future booked appointment (by the holder, even through a signed link, or an advisor)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(appointment)
        _require_booked(locked)
        if locked.starts_at <= now:
            raise ValidationError(_("Ce rendez-vous a commencé : il ne peut plus être annulé."), code="started")
        _cancel_fields(locked, by=by, reason=reason, now=now)
        _notify(locked, "cancellation")
    return locked


def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    by: Any,
    advisor_id: int | None = None,
    mode: str | None = None,
    place_id: int | None = None,
    reason: str = "",
    on_behalf: bool = True,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booked appointment: the old one is cancelled, a new one points back to it. All or
    nothing: if the new slot is taken, the old appointment stays as it was."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(appointment)
        _require_booked(locked)
        if locked.starts_at <= now:
            raise ValidationError(_("Ce rendez-vous a commencé : il ne peut plus être déplacé."), code="started")
        _cancel_fields(locked, by=by, reason=reason or str(_("Rendez-vous déplacé")), now=now)
        new_mode = mode or locked.mode
        new_place = (place_id if mode else locked.place_id) if new_mode == LocationMode.PLACE else None
        return appointment_book(
            fabrique=locked.fabrique,
            holder=locked.holder,
            motive=locked.motive,
            advisor_id=advisor_id or locked.advisor_id,
            starts_at=starts_at,
            mode=new_mode,
            place_id=new_place,
            by=by,
            note=locked.note,
            on_behalf=on_behalf,
            rescheduled_from=locked,
            now=now,
        )


def _outcome(appointment: Appointment, status: str, *, by: Any, note: str, now: dt.datetime) -> Appointment:
    appointment.status = status
    appointment.outcome_by, appointment.outcome_at, appointment.outcome_note = by, now, note[:300]
    return appointment


def _require_started(appointment: Appointment, now: dt.datetime) -> None:
    if appointment.starts_at > now:
        raise ValidationError(_("Ce rendez-vous n'a pas encore eu lieu."), code="not_started")


def appointment_mark_seen(
    *, appointment: Appointment, by: Any, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """The holder came: a follow-up in their journey, and the structure follows them from now on."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(appointment)
        _require_booked(locked)
        _require_started(locked, now)
        minutes = int((locked.ends_at - locked.starts_at).total_seconds() // 60)
        follow_up = FollowUp(
            holder_id=locked.holder_id,
            organisation_id=locked.organisation_id,
            author=by,
            occurred_on=timezone.localdate(locked.starts_at),
            kind=MODE_TO_FOLLOW_UP_KIND[LocationMode(locked.mode)],
            duration_minutes=min(minutes, 24 * 60),
            place_id=locked.place_id,
            summary=_("Rendez-vous « %(motive)s ».") % {"motive": locked.motive.name} + (f"\n{note}" if note else ""),
        )
        follow_up.full_clean(exclude=["holder", "organisation", "author", "project", "place"])
        follow_up.save()
        support_link_ensure(
            locked.holder, locked.organisation, origin=SupportLink.Origin.APPOINTMENT, referent=locked.advisor
        )
        _outcome(locked, Appointment.Status.SEEN, by=by, note=note, now=now)
        locked.follow_up = follow_up
        locked.save(update_fields=["status", "outcome_by", "outcome_at", "outcome_note", "follow_up"])
    return locked


def appointment_mark_no_show(
    *, appointment: Appointment, by: Any, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(appointment)
        _require_booked(locked)
        _require_started(locked, now)
        _outcome(locked, Appointment.Status.NO_SHOW, by=by, note=note, now=now)
        locked.save(update_fields=["status", "outcome_by", "outcome_at", "outcome_note"])
    return locked


def appointment_mark_excused(
    *, appointment: Appointment, by: Any, note: str = "", now: dt.datetime | None = None
) -> Appointment:
    """The holder warned they could not come: the slot is freed (see Appointment.LIVE_STATUSES)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(appointment)
        _require_booked(locked)
        _outcome(locked, Appointment.Status.EXCUSED, by=by, note=note, now=now)
        locked.save(update_fields=["status", "outcome_by", "outcome_at", "outcome_note"])
    return locked


# ------------------------------------------------------------------- cancellation links


def cancel_token(appointment: Appointment) -> str:
    """A signed, expiring token that cancels this appointment without logging in."""
    return signing.dumps({"a": appointment.pk, "h": appointment.holder_id}, salt=CANCEL_SALT, compress=True)


def appointment_from_cancel_token(token: str, fabrique: Fabrique) -> Appointment | None:
    """The appointment of a valid token, in this Fabrique only; None if tampered, expired or foreign."""
    try:
        data = signing.loads(token, salt=CANCEL_SALT, max_age=CANCEL_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict):
        return None
    return (
        Appointment.objects.for_fabrique(fabrique)
        .select_related("motive", "organisation", "place")
        .filter(pk=int(data.get("a") or 0), holder_id=int(data.get("h") or 0))
        .first()
    )


# ------------------------------------------------------------------------ agenda feeds


def agenda_feed_renew(*, fabrique: Fabrique, advisor: Any) -> AgendaFeed:
    """A new secret feed address for the advisor; the old address stops working."""
    with transaction.atomic():
        _lock_agenda(advisor.pk)  # two clicks at once: the second waits, then revokes the first's
        AgendaFeed.objects.active().for_fabrique(fabrique).filter(advisor=advisor).update(revoked_at=timezone.now())
        return AgendaFeed.objects.create(fabrique=fabrique, advisor=advisor)


def agenda_feed_revoke(*, fabrique: Fabrique, advisor: Any) -> int:
    return AgendaFeed.objects.active().for_fabrique(fabrique).filter(advisor=advisor).update(revoked_at=timezone.now())
