"""Tenant isolation across every URL of the project."""

import pytest

from tests.isolation import TenantObjectView, assert_isolated, unregistered_routes
from tests.isolation_registry import REGISTRY

SCOPED = [entry for entry in REGISTRY if isinstance(entry, TenantObjectView)]


def test_every_url_pattern_is_registered_in_the_isolation_harness():
    assert unregistered_routes(REGISTRY) == [], "register these views in tests/isolation_registry.py"


def test_registry_has_no_stale_entry():
    from tests.isolation import iter_routes

    routes = {route.name for route in iter_routes()}
    assert [entry.url_name for entry in REGISTRY if entry.url_name not in routes] == []


@pytest.mark.django_db
@pytest.mark.parametrize("view", SCOPED, ids=[entry.url_name for entry in SCOPED])
def test_objects_of_another_fabrique_are_404_for_every_persona(view, personas, fabrique, other_fabrique):
    assert_isolated(view, {"anonymous": None, **personas.by_role()}, fabrique, other_fabrique)
