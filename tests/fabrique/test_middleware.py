import pytest

from tests.conftest import client_on
from tests.factories import FabriqueFactory

pytestmark = pytest.mark.django_db


def test_known_host_resolves_its_fabrique(fabrique, other_fabrique):
    response = client_on("lille.localhost").get("/")
    assert response.status_code == 200
    assert response.wsgi_request.fabrique == fabrique
    assert "Fabrique de Lille" in response.text
    assert "Fabrique de Dunkerque" not in response.text


def test_host_lookup_ignores_case_and_port(fabrique):
    response = client_on("LILLE.localhost:8000").get("/")
    assert response.status_code == 200
    assert response.wsgi_request.fabrique == fabrique


def test_unknown_host_is_a_clean_404_without_tenant_content(fabrique):
    response = client_on("inconnue.localhost").get("/")
    assert response.status_code == 404
    assert "Fabrique de Lille" not in response.text
    assert "aucune Fabrique" in response.text


def test_inactive_fabrique_is_unknown():
    FabriqueFactory(inactive=True, name="Fabrique fermée", host="fermee.localhost")
    response = client_on("fermee.localhost").get("/")
    assert response.status_code == 404
    assert "Fabrique fermée" not in response.text


def test_national_host_has_no_fabrique_and_lists_them(fabrique, other_fabrique):
    response = client_on("localhost").get("/")
    assert response.status_code == 200
    assert response.wsgi_request.fabrique is None
    assert "Fabrique de Lille" in response.text
    assert "Fabrique de Dunkerque" in response.text


def test_host_outside_allowed_hosts_is_rejected(fabrique):
    response = client_on("evil.example.com").get("/")
    assert response.status_code == 400


def test_unknown_host_page_carries_the_security_headers(fabrique):
    response = client_on("inconnue.localhost").get("/")
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
