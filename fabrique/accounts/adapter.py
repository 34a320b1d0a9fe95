"""allauth hooks: a sign-up on a Fabrique's portal makes a project holder of that Fabrique."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from fabrique.accounts.services import membership_grant_holder


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        fabrique = getattr(request, "fabrique", None)
        if commit and fabrique is not None:
            membership_grant_holder(user=user, fabrique=fabrique)
        return user
