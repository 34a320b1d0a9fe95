"""The tenant isolation harness.

Every URL pattern of the project must be registered in `tests/isolation_registry.py`,
either as a view that takes a tenant-owned object's identifier (then, for every
persona, an object of *another* Fabrique must give 404 on this Fabrique's host), or
as a view without such an identifier (with the reason). A new view that is not
registered fails `tests/test_isolation.py`, so no view escapes the check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fabrique.models import Fabrique, FabriqueHost, User
from tests.conftest import client_on

# Whole URL families that never take a tenant-owned identifier.
EXEMPT_MODULES = {
    "allauth.": "allauth's views act on the logged-in user's own account only",
}
EXEMPT_NAMESPACES = {
    "admin": "platform administration: platform admins only, two-factor enforced",
}


@dataclass(frozen=True)
class TenantObjectView:
    """A view whose URL carries the identifier of a tenant-owned object."""

    url_name: str
    # Creates an object belonging to the given Fabrique and returns the URL kwargs that reach it.
    make_kwargs: Callable[[Fabrique], dict[str, Any]]
    # The persona (attribute of tests.conftest.Personas) that may see its own Fabrique's object:
    # proves the URL works, so that a 404 for the other Fabrique means something.
    allowed_persona: str
    methods: tuple[str, ...] = ("get",)


@dataclass(frozen=True)
class NoTenantObject:
    url_name: str
    reason: str


@dataclass
class Route:
    name: str  # "namespace:name", or the route itself for an unnamed pattern
    module: str
    route: str = field(default="")


def iter_routes(patterns: list[Any] | None = None, namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXEMPT_NAMESPACES:
                continue
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_routes(pattern.url_patterns, ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}{pattern.name}" if pattern.name else route
            callback = getattr(pattern.callback, "view_class", pattern.callback)
            yield Route(name=name, module=callback.__module__, route=route)


def unregistered_routes(
    registry: list[TenantObjectView | NoTenantObject], patterns: list[Any] | None = None
) -> list[str]:
    known = {entry.url_name for entry in registry}
    return sorted(
        route.name
        for route in iter_routes(patterns)
        if route.name not in known and not route.module.startswith(tuple(EXEMPT_MODULES))
    )


def assert_isolated(
    view: TenantObjectView, users: dict[str, User | None], fabrique: Fabrique, other_fabrique: Fabrique
) -> None:
    """Objects of `other_fabrique` are a 404 on `fabrique`'s host for every persona; its own object is not."""
    host = FabriqueHost.objects.get(fabrique=fabrique, is_primary=True).host
    own_url = reverse(view.url_name, kwargs=view.make_kwargs(fabrique))
    allowed = users[view.allowed_persona]
    own = client_on(host, allowed).get(own_url)
    assert own.status_code == 200, f"{view.url_name}: {view.allowed_persona} gets {own.status_code} on its own object"

    foreign_url = reverse(view.url_name, kwargs=view.make_kwargs(other_fabrique))
    for persona, user in users.items():
        client = client_on(host, user)
        for method in view.methods:
            response = getattr(client, method)(foreign_url)
            leaked_to_anonymous = user is None and response.status_code in (302, 403)
            assert response.status_code == 404 or leaked_to_anonymous, (
                f"{view.url_name} {method.upper()} {foreign_url} as {persona}: {response.status_code}, expected 404"
            )
