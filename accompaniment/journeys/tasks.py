"""E-mails of referrals and post-creation checks, and the daily sweeps that send reminders.

Every task takes primary keys and re-reads its rows. Nothing is ever sent twice:
- the sweeps claim each row with a conditional UPDATE (`… WHERE reminder_sent_at IS NULL`)
  committed before the e-mail goes out; a sweep run twice, or two workers at once, find
  nothing left to claim. A failed send releases the claim so the next sweep retries;
- one-shot notices (new referral, answer) claim a key in the (PostgreSQL) cache first.
A crash between the claim and the send loses that e-mail rather than doubling it.

E-mails name the structures and the need, never the holder nor the message: the link leads
to the portal of the holder's Fabrique, where access rules apply.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accompaniment.journeys.models import PostCreationCheck, Referral, SupportLink
from accompaniment.journeys.models.referral import ReferralQuerySet
from fabrique.models import Fabrique, Membership, Role

logger = logging.getLogger(__name__)

# A sweep handles at most this many rows; the next one takes the rest.
SWEEP_BATCH_SIZE = 200
# How long a one-shot notice remembers it was sent (redeliveries happen within minutes).
NOTICE_CLAIM_SECONDS = 60 * 60 * 24 * 30
STRUCTURE_STAFF_ROLES = (Role.ADVISOR, Role.STRUCTURE_MANAGER)


# ----------------------------------------------------------------------------- helpers


def structure_staff_emails(organisation_id: int, roles: Iterable[str] = STRUCTURE_STAFF_ROLES) -> list[str]:
    """E-mail addresses of the active advisors/managers of a support actor."""
    emails = (
        Membership.objects.active()
        .filter(organisation_id=organisation_id, role__in=list(roles), user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails)


def portal_url(fabrique: Fabrique, path: str) -> str:
    """Absolute address of `path` on the portal of `fabrique` (its primary host)."""
    host = fabrique.hosts.filter(is_primary=True).values_list("host", flat=True).first()
    if not host:
        return ""
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    return f"{scheme}://{host}{path}"


def _send(template: str, context: dict, to: list[str], cc: list[str] | None = None) -> bool:
    cc = [address for address in cc or [] if address not in to]
    if not to and not cc:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"journeys/emails/{template}_subject.txt", context).split())
        body = render_to_string(f"journeys/emails/{template}.txt", context)
    EmailMessage(subject, body, to=to or cc, cc=cc if to else []).send()
    return True


def _claim_notice(key: str) -> bool:
    """True once per key (the cache's add is an atomic insert in PostgreSQL)."""
    return cache.add(f"journeys:notice:{key}", 1, NOTICE_CLAIM_SECONDS)


def _referral(pk: int) -> Referral | None:
    return (
        Referral.objects.select_related("holder__fabrique", "from_organisation", "to_organisation", "created_by")
        .filter(pk=pk)
        .first()
    )


def _referral_context(referral: Referral) -> dict:
    return {
        "referral": referral,
        "fabrique": referral.holder.fabrique,
        "need": referral.get_need_display(),
        "from_name": referral.from_organisation.name,
        "to_name": referral.to_organisation.name,
        "url": portal_url(referral.holder.fabrique, reverse("journeys:referral_detail", args=[referral.pk])),
    }


def _sender_emails(referral: Referral) -> list[str]:
    """The advisor who sent the referral, else the sending structure's staff."""
    author = referral.created_by
    if author is not None and author.is_active and author.email:
        return [author.email]
    return structure_staff_emails(referral.from_organisation_id)


# ------------------------------------------------------------------------- referrals


@shared_task(name="journeys.referral_notify_created", ignore_result=True)
def referral_notify_created(pk: int) -> bool:
    """Tell the target structure it received a referral (once)."""
    referral = _referral(pk)
    if referral is None or referral.status != Referral.Status.PENDING:
        return False
    if not _claim_notice(f"referral:{pk}:created"):
        return False
    return _send("referral_created", _referral_context(referral), structure_staff_emails(referral.to_organisation_id))


@shared_task(name="journeys.referral_notify_answered", ignore_result=True)
def referral_notify_answered(pk: int) -> bool:
    """Tell the sender the target accepted or declined (once per answer)."""
    referral = _referral(pk)
    if referral is None or referral.status not in (Referral.Status.ACCEPTED, Referral.Status.DECLINED):
        return False
    if not _claim_notice(f"referral:{pk}:{referral.status}"):
        return False
    return _send("referral_answered", _referral_context(referral), _sender_emails(referral))


def referrals_overdue(today: datetime.date) -> ReferralQuerySet:
    """Pending referrals past their deadline whose reminder is not yet claimed."""
    return Referral.objects.pending().filter(respond_by__lt=today, reminder_sent_at__isnull=True)


def referral_remind(pk: int, today: datetime.date | None = None) -> bool:
    """Claim the referral's reminder, then send it; False when another run already claimed it."""
    today = today or timezone.localdate()
    with transaction.atomic():
        claimed = referrals_overdue(today).filter(pk=pk).update(reminder_sent_at=timezone.now())
    if not claimed:
        return False
    referral = _referral(pk)
    if referral is None:  # deleted meanwhile
        return False
    try:
        _send(
            "referral_reminder",
            _referral_context(referral),
            structure_staff_emails(referral.to_organisation_id),
            cc=_sender_emails(referral),
        )
    except Exception:
        Referral.objects.filter(pk=pk).update(reminder_sent_at=None)  # the next sweep retries
        raise
    return True


@shared_task(name="journeys.referrals_remind_unanswered", ignore_result=True)
def referrals_remind_unanswered(limit: int = SWEEP_BATCH_SIZE) -> int:
    """Daily: remind the target structure of each pending referral past its deadline; returns how many."""
    today = timezone.localdate()
    pks = list(referrals_overdue(today).order_by("respond_by", "pk").values_list("pk", flat=True)[:limit])
    return sum(referral_remind(pk, today) for pk in pks)


# ---------------------------------------------------------------- post-creation checks


def post_creation_check_recipients(check: PostCreationCheck) -> list[str]:
    """The referent of the creating structure's link with the holder, else its advisors (else managers)."""
    creation = check.creation
    link = (
        SupportLink.objects.live()
        .select_related("referent")
        .filter(holder_id=creation.project.holder_id, organisation_id=creation.organisation_id)
        .first()
    )
    referent = link.referent if link else None
    if referent is not None and referent.is_active and referent.email:
        return [referent.email]
    return structure_staff_emails(creation.organisation_id, [Role.ADVISOR]) or structure_staff_emails(
        creation.organisation_id, [Role.STRUCTURE_MANAGER]
    )


def post_creation_check_notify(pk: int, today: datetime.date | None = None) -> bool:
    """Claim the check's notice, then send it; False when already notified, done or not due."""
    today = today or timezone.localdate()
    with transaction.atomic():
        claimed = (
            PostCreationCheck.objects.due(today)
            .filter(pk=pk, notified_at__isnull=True)
            .update(notified_at=timezone.now())
        )
    if not claimed:
        return False
    check = (
        PostCreationCheck.objects.select_related("creation__organisation", "creation__project__holder__fabrique")
        .filter(pk=pk)
        .first()
    )
    if check is None:
        return False
    fabrique = check.creation.project.holder.fabrique
    context = {
        "check": check,
        "fabrique": fabrique,
        "organisation_name": check.creation.organisation.name,
        "url": portal_url(fabrique, reverse("journeys:check_update", args=[check.pk])),
    }
    try:
        sent = _send("post_creation_check_due", context, post_creation_check_recipients(check))
    except Exception:
        PostCreationCheck.objects.filter(pk=pk).update(notified_at=None)
        raise
    if not sent:
        logger.warning("post-creation check %s: the structure %s has no one to notify", pk, check.creation.organisation)
    return sent


@shared_task(name="journeys.post_creation_checks_notify_due", ignore_result=True)
def post_creation_checks_notify_due(limit: int = SWEEP_BATCH_SIZE) -> int:
    """Daily: tell the creating structure of each due post-creation check (once); returns how many."""
    today = timezone.localdate()
    pks = list(
        PostCreationCheck.objects.due(today)
        .filter(notified_at__isnull=True)
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(post_creation_check_notify(pk, today) for pk in pks)
