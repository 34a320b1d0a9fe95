"""Walk-in services: someone came to a place without an appointment."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.journeys.models import Holder, WalkIn
from fabrique.models import Fabrique, Organisation
from territories.models import Place

# A walk-in is logged as it happens or just after; a clock a little ahead is tolerated.
FUTURE_TOLERANCE = datetime.timedelta(minutes=10)


def walkin_log(
    *,
    fabrique: Fabrique,
    place: Place,
    logged_by: Any,
    reason: str,
    organisation: Organisation | None = None,
    holder: Holder | None = None,
    visitors: int = 1,
    oriented_to: Organisation | None = None,
    notes: str = "",
    occurred_at: datetime.datetime | None = None,
) -> WalkIn:
    """Record a visit: a known holder of `fabrique`, or an anonymous count of people."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"occurred_at": _("Un passage ne peut pas être noté dans le futur.")})
    if holder is not None and holder.fabrique_id != fabrique.pk:
        raise ValidationError({"holder": _("Ce porteur n'a pas de dossier dans cette Fabrique.")})
    if holder is not None and visitors != 1:
        raise ValidationError({"visitors": _("Un porteur identifié compte pour une seule personne.")})
    walkin = WalkIn(
        fabrique=fabrique,
        place=place,
        occurred_at=occurred_at,
        organisation=organisation,
        logged_by=logged_by if getattr(logged_by, "is_authenticated", False) else None,
        holder=holder,
        visitors=visitors,
        reason=reason,
        oriented_to=oriented_to,
        notes=notes,
    )
    walkin.full_clean()
    with transaction.atomic():
        walkin.save()
    return walkin
