"""Writes on accounts and memberships."""

from __future__ import annotations

from django.db import transaction

from fabrique.models import Fabrique, Membership, Role, User


@transaction.atomic
def membership_grant_holder(*, user: User, fabrique: Fabrique) -> Membership:
    """Make `user` a project holder of `fabrique` (idempotent)."""
    membership, _created = Membership.objects.get_or_create(user=user, role=Role.HOLDER, fabrique=fabrique)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    return membership
