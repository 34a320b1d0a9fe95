"""Territory staff keep their Fabrique's targets; nobody else sees them."""

import datetime

import pytest

from fabrique.models import FabriqueTarget
from tests.conftest import client_on

pytestmark = pytest.mark.django_db

VALID = {"indicator": "holders_supported", "value": "1100", "starts_on": "2025-01-01", "ends_on": "2027-12-31"}


def _target(fabrique, **kwargs):
    values = {
        "indicator": FabriqueTarget.Indicator.HOLDERS_SUPPORTED,
        "value": 1100,
        "starts_on": datetime.date(2025, 1, 1),
        "ends_on": datetime.date(2027, 12, 31),
        **kwargs,
    }
    return FabriqueTarget.objects.create(fabrique=fabrique, **values)


def test_territory_staff_creates_a_target(personas, fabrique):
    response = client_on("lille.localhost", personas.territory_staff).post("/pilotage/objectifs/nouveau/", VALID)
    assert response.status_code == 302
    target = FabriqueTarget.objects.get()
    assert (target.fabrique, target.value) == (fabrique, 1100)


def test_bad_input_rerenders_in_french_and_saves_nothing(personas, fabrique):
    _target(fabrique)
    client = client_on("lille.localhost", personas.territory_staff)
    response = client.post("/pilotage/objectifs/nouveau/", {**VALID, "ends_on": "2024-01-01"})
    assert response.status_code == 200
    assert "La fin de période doit suivre son début." in response.text
    response = client.post("/pilotage/objectifs/nouveau/", VALID)
    assert response.status_code == 200
    assert "Un objectif existe déjà" in response.text
    response = client.post("/pilotage/objectifs/nouveau/", {**VALID, "indicator": "creation_rate", "value": "170"})
    assert "Un taux ne peut dépasser 100" in response.text
    assert FabriqueTarget.objects.count() == 1


@pytest.mark.parametrize("persona", ["holder", "advisor", "structure_manager", "funder_staff", "other_fabrique_user"])
def test_other_roles_get_404(personas, fabrique, persona):
    target = _target(fabrique)
    client = client_on("lille.localhost", getattr(personas, persona))
    assert client.get("/pilotage/objectifs/").status_code == 404
    assert client.get(f"/pilotage/objectifs/{target.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(fabrique):
    response = client_on("lille.localhost").get("/pilotage/objectifs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_national_portal_has_no_targets_page(personas):
    assert client_on("localhost", personas.territory_staff).get("/pilotage/objectifs/").status_code == 404


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(personas, fabrique, other_fabrique, rows, django_assert_num_queries):
    for year in range(rows):
        _target(fabrique, starts_on=datetime.date(2000 + year, 1, 1), ends_on=datetime.date(2000 + year, 12, 31))
    _target(other_fabrique)
    client = client_on("lille.localhost", personas.territory_staff)
    # session, user, tenant, staff two-factor check, role check, targets
    with django_assert_num_queries(6):
        response = client.get("/pilotage/objectifs/")
    assert response.status_code == 200
    assert response.text.count("Modifier") == rows
