"""Who must use two-factor authentication."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db.models import Exists, OuterRef, Value
from django.db.models.fields import CharField

from fabrique.models import Fabrique, Membership, User


def user_access(user: Any, fabrique: Fabrique | None) -> tuple[bool, frozenset[str]]:
    """(must enrol in TOTP, roles held in `fabrique`) for an authenticated user, in one query.

    A staff user (admin or any staff role anywhere) without a TOTP authenticator must enrol;
    the roles feed the menu, so that no page pays a second query for them.
    """
    roles: ArraySubquery | Value
    if fabrique is not None:
        roles = ArraySubquery(
            Membership.objects.active().for_fabrique(fabrique).filter(user=OuterRef("pk")).values("role")
        )
    else:
        roles = Value([], output_field=ArrayField(CharField()))
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_staff_role=Exists(Membership.objects.active().staff().filter(user=OuterRef("pk"))),
            has_totp=Exists(Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)),
            roles=roles,
        )
        .values_list("is_staff", "is_superuser", "has_staff_role", "has_totp", "roles")
        .first()
    )
    if row is None:
        return False, frozenset()
    is_staff, is_superuser, has_staff_role, has_totp, held = row
    return bool(is_staff or is_superuser or has_staff_role) and not has_totp, frozenset(held or ())
