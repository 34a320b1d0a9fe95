"""Who must use two-factor authentication."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef

from fabrique.models import Membership, User


def user_must_enrol_mfa(user: Any) -> bool:
    """True for a staff user (admin or any staff role) who has no TOTP authenticator yet. One query."""
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_staff_role=Exists(Membership.objects.active().staff().filter(user=OuterRef("pk"))),
            has_totp=Exists(Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)),
        )
        .values_list("is_staff", "is_superuser", "has_staff_role", "has_totp")
        .first()
    )
    if row is None:
        return False
    is_staff, is_superuser, has_staff_role, has_totp = row
    return bool(is_staff or is_superuser or has_staff_role) and not has_totp
