"""Referrals between structures: A passes a holder to B for a need, with the holder's consent;
B accepts (and then follows the holder) or declines with a reason; A may cancel while pending.

Every service is atomic and raises ValidationError in French, having written nothing. Answers
lock the referral's row, so an accept and a decline racing each other cannot both win.
E-mails leave after the commit (accompaniment.journeys.tasks).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.journeys import tasks
from accompaniment.journeys.access import ADVISOR_ROLES
from accompaniment.journeys.holders import support_link_ensure
from accompaniment.journeys.models import Holder, Project, Referral, SupportLink
from fabrique.jobs import job_enqueue_on_commit
from fabrique.models import Fabrique, Membership, Organisation

# Days the target structure has to answer before it is reminded.
REFERRAL_RESPONSE_DAYS = 10


def referral_targets(fabrique: Fabrique) -> QuerySet[Organisation]:
    """The structures a holder of `fabrique` may be referred to: support actors serving it."""
    return Organisation.objects.filter(kind=Organisation.Kind.SUPPORT_ACTOR, fabriques=fabrique).order_by("name", "pk")


def _works_for(user: Any, organisation_id: int) -> bool:
    return (
        Membership.objects.active().filter(user=user, organisation_id=organisation_id, role__in=ADVISOR_ROLES).exists()
    )


def referral_create(
    *,
    holder: Holder,
    from_organisation: Organisation,
    to_organisation: Organisation,
    need: str,
    message: str,
    holder_consented: bool,
    by: Any,
    project: Project | None = None,
) -> Referral:
    errors: dict[str, list[str]] = {}
    if not holder_consented:
        errors.setdefault("holder_consented", []).append(
            _("L'accord du porteur est nécessaire pour l'orienter et transmettre ses coordonnées.")
        )
    if need not in Referral.Need.values:
        errors.setdefault("need", []).append(_("Choisissez le besoin pour lequel vous orientez le porteur."))
    if to_organisation.pk == from_organisation.pk:
        errors.setdefault("to_organisation", []).append(_("Choisissez une autre structure que la vôtre."))
    elif not referral_targets(holder.fabrique).filter(pk=to_organisation.pk).exists():
        errors.setdefault("to_organisation", []).append(_("Cette structure n'intervient pas dans cette Fabrique."))
    if not SupportLink.objects.live().filter(holder=holder, organisation=from_organisation).exists():
        errors.setdefault("from_organisation", []).append(
            _("Votre structure ne suit pas ce porteur : elle ne peut pas l'orienter.")
        )
    if project is not None and project.holder_id != holder.pk:
        errors.setdefault("project", []).append(_("Ce projet n'est pas celui de ce porteur."))
    if errors:
        raise ValidationError(errors)
    duplicate = _("Une orientation vers cette structure pour ce besoin attend déjà sa réponse.")
    if Referral.objects.pending().filter(holder=holder, to_organisation=to_organisation, need=need).exists():
        raise ValidationError({"need": [duplicate]})
    referral = Referral(
        holder=holder,
        project=project,
        from_organisation=from_organisation,
        to_organisation=to_organisation,
        created_by=by,
        need=need,
        message=message.strip(),
        holder_consented_at=timezone.now(),
        respond_by=timezone.localdate() + datetime.timedelta(days=REFERRAL_RESPONSE_DAYS),
    )
    try:
        with transaction.atomic():
            referral.save()
            job_enqueue_on_commit(tasks.referral_notify_created, referral.pk)
    except IntegrityError:  # a twin referral committed since the check above
        raise ValidationError({"need": [duplicate]}) from None
    return referral


def _lock_pending(referral: Referral) -> Referral:
    locked = Referral.objects.select_for_update().select_related("holder").get(pk=referral.pk)
    if locked.status != Referral.Status.PENDING:
        raise ValidationError(
            _("Cette orientation n'attend plus de réponse (%(status)s).") % {"status": locked.get_status_display()},
            code="not_pending",
        )
    return locked


def _answer(referral: Referral, locked: Referral) -> Referral:
    for field in ("status", "responded_at", "responded_by", "response_reason"):
        setattr(referral, field, getattr(locked, field))
    return referral


def referral_accept(*, referral: Referral, by: Any) -> Referral:
    """The target structure accepts: it now follows the holder; the sender is told."""
    with transaction.atomic():
        locked = _lock_pending(referral)
        if not _works_for(by, locked.to_organisation_id):
            raise ValidationError(_("Seule la structure destinataire peut répondre à cette orientation."))
        locked.status, locked.responded_at, locked.responded_by = Referral.Status.ACCEPTED, timezone.now(), by
        locked.save(update_fields=["status", "responded_at", "responded_by"])
        support_link_ensure(locked.holder, locked.to_organisation, origin=SupportLink.Origin.REFERRAL, referent=by)
        job_enqueue_on_commit(tasks.referral_notify_answered, locked.pk)
    return _answer(referral, locked)


def referral_decline(*, referral: Referral, by: Any, reason: str) -> Referral:
    """The target structure declines, saying why; the sender is told."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Indiquez le motif du refus : la structure qui oriente le lira.")]})
    with transaction.atomic():
        locked = _lock_pending(referral)
        if not _works_for(by, locked.to_organisation_id):
            raise ValidationError(_("Seule la structure destinataire peut répondre à cette orientation."))
        locked.status, locked.responded_at, locked.responded_by = Referral.Status.DECLINED, timezone.now(), by
        locked.response_reason = reason.strip()
        locked.save(update_fields=["status", "responded_at", "responded_by", "response_reason"])
        job_enqueue_on_commit(tasks.referral_notify_answered, locked.pk)
    return _answer(referral, locked)


def referral_cancel(*, referral: Referral, by: Any) -> Referral:
    """The sending structure withdraws a referral still waiting for its answer."""
    with transaction.atomic():
        locked = _lock_pending(referral)
        if not _works_for(by, locked.from_organisation_id):
            raise ValidationError(_("Seule la structure qui a orienté le porteur peut annuler l'orientation."))
        locked.status, locked.responded_at, locked.responded_by = Referral.Status.CANCELLED, timezone.now(), by
        locked.save(update_fields=["status", "responded_at", "responded_by"])
    return _answer(referral, locked)
