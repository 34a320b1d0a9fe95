"""Who may do what in the current Fabrique. Lack of a role is a 404, like an object of another tenant:
neither tells an outsider what exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from fabrique.models import Fabrique, Membership, Role
from fabrique.tenancy import get_current_fabrique_or_404


def user_has_role_in(user: Any, fabrique: Fabrique, roles: frozenset[Role]) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.active().for_fabrique(fabrique).filter(user=user, role__in=roles).exists()


def fabrique_role_required(
    *roles: Role, platform_admins: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The view runs on a Fabrique's portal, for a user holding one of `roles` there
    (or a platform admin — a superuser — when `platform_admins` is set)."""
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fabrique = get_current_fabrique_or_404(request)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            is_admin = platform_admins and getattr(request.user, "is_superuser", False)
            if not (is_admin or user_has_role_in(request.user, fabrique, allowed)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
