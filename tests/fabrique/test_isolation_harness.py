"""The isolation harness catches a leaky view, passes a scoped one, and lists unregistered views."""

import pytest

from tests.fabrique import isolation_urls
from tests.isolation import NoTenantObject, TenantObjectView, assert_isolated, unregistered_routes
from tests.isolation_registry import target_in


@pytest.fixture
def users(personas):
    return {"anonymous": None, **personas.by_role()}


@pytest.mark.django_db
@pytest.mark.urls("tests.fabrique.isolation_urls")
def test_harness_passes_a_scoped_view(users, fabrique, other_fabrique):
    view = TenantObjectView("scoped_target", target_in, allowed_persona="territory_staff")
    assert_isolated(view, users, fabrique, other_fabrique)


@pytest.mark.django_db
@pytest.mark.urls("tests.fabrique.isolation_urls")
def test_harness_catches_a_leaky_view(users, fabrique, other_fabrique):
    view = TenantObjectView("leaky_target", target_in, allowed_persona="territory_staff")
    with pytest.raises(AssertionError, match=r"leaky_target GET .* as anonymous: 200, expected 404"):
        assert_isolated(view, users, fabrique, other_fabrique)


def test_harness_lists_views_missing_from_the_registry():
    registry = [NoTenantObject("scoped_target", "reviewed")]
    assert unregistered_routes(registry, isolation_urls.harness_patterns) == ["leaky_target"]
