from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fabrique.colours import shade

DEFAULT_PRIMARY = "#1f4e8c"


def tenant(request: HttpRequest) -> dict[str, Any]:
    """The current Fabrique (None on the national portal) and its theme colours."""
    fabrique = getattr(request, "fabrique", None)
    primary = fabrique.primary_colour if fabrique else DEFAULT_PRIMARY
    return {
        "fabrique": fabrique,
        "theme_primary": primary,
        "theme_primary_dark": shade(primary, 0.8),
    }


def roles(request: HttpRequest) -> dict[str, Any]:
    """What the menu offers: the roles the user holds in the current Fabrique (set by the
    two-factor middleware in the same query as its check, so the menu costs no query)."""
    held: frozenset[str] = getattr(request, "fabrique_roles", frozenset())
    return {
        "menu_holder": "holder" in held,
        "menu_advisor": bool(held & {"advisor", "structure_manager"}),
        "menu_manager": "structure_manager" in held,
        "menu_territory": "territory_staff" in held,
    }
