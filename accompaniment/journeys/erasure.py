"""Erasing a holder's file at their request (right to erasure).

What identifies the person goes: identity, contact, address, the account link, and every free
text written about them (follow-up summaries and next steps, referral messages and answers,
walk-in and check notes, appointment messages, project titles and descriptions, the SIRET).
What funders count stays, anonymous: the projects' stages and their history, financing amounts,
creation dates and jobs, post-creation outcomes, the commune and QPV, the birth year, situation
and gender (aggregates only ever show groups, small counts suppressed). No structure keeps
access: every link ends. Future appointments and pending referrals are cancelled, which frees
the advisors' slots and empties the structures' inboxes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accompaniment.appointments.models import Appointment
from accompaniment.appointments.services import appointment_cancel
from accompaniment.journeys.models import (
    CreationRecord,
    FollowUp,
    Holder,
    PostCreationCheck,
    Project,
    Referral,
    SupportLink,
    WalkIn,
)

ERASED_PROJECT_TITLE = "Projet (dossier effacé)"


def holder_file_erase(holder: Holder, *, by: Any, now: dt.datetime | None = None) -> Holder:
    """Erase `holder`'s file in one transaction (all of it or nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Holder.objects.select_for_update().get(pk=holder.pk)
        future = Appointment.objects.filter(holder=locked, status=Appointment.Status.BOOKED, starts_at__gt=now)
        for appointment in future:
            appointment_cancel(appointment=appointment, by=by, reason="Dossier effacé à la demande du porteur", now=now)
        Appointment.objects.filter(holder=locked).update(note="")
        FollowUp.objects.filter(holder=locked).update(summary="", next_step="", next_step_due=None)
        Referral.objects.filter(holder=locked).update(message="", response_reason="")
        Referral.objects.filter(holder=locked, status=Referral.Status.PENDING).update(status=Referral.Status.CANCELLED)
        WalkIn.objects.filter(holder=locked).update(holder=None, notes="")
        projects = Project.objects.filter(holder=locked)
        projects.update(title=ERASED_PROJECT_TITLE, description="")
        CreationRecord.objects.filter(project__in=projects).update(siret="")
        PostCreationCheck.objects.filter(creation__project__in=projects).update(notes="")
        SupportLink.objects.filter(holder=locked).update(
            ended_at=now, shares_file=False, referent=None, consent_updated_at=now
        )
        for field in ("first_name", "last_name", "email", "phone", "street_address"):
            setattr(locked, field, "")
        locked.user = None
        locked.address_check = None
        locked.contact_by_email = locked.contact_by_sms = False
        locked.erased_at = now
        locked.save()
    return locked
