"""Follow-up services: an advisor logs an action with a holder, and later marks its next step done."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.journeys.models import FollowUp, Holder, Project
from fabrique.models import Organisation


def followup_log(
    *,
    holder: Holder,
    organisation: Organisation,
    author: Any,
    occurred_on: datetime.date,
    kind: str,
    project: Project | None = None,
    **fields: Any,
) -> FollowUp:
    """Record an action done with `holder` by `organisation` (validated, then saved atomically)."""
    if project is not None and project.holder_id != holder.pk:
        raise ValidationError({"project": _("Ce projet n'est pas celui de ce porteur.")})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("Une action faite ne peut pas être datée dans le futur.")})
    followup = FollowUp(
        holder=holder,
        organisation=organisation,
        author=author if getattr(author, "is_authenticated", False) else None,
        occurred_on=occurred_on,
        kind=kind,
        project=project,
        **fields,
    )
    followup.full_clean()
    with transaction.atomic():
        followup.save()
    return followup


def followup_next_step_done(followup: FollowUp) -> bool:
    """Mark the next step of `followup` done (once); False when there was nothing to mark."""
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=followup.pk, next_step_done_at__isnull=True).exclude(next_step="")
        done = updated.update(next_step_done_at=timezone.now())
    if done:
        followup.refresh_from_db(fields=["next_step_done_at"])
    return bool(done)
