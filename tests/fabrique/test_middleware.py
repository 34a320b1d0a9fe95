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


@pytest.fixture
def host_cache(settings):
    from fabrique import host_cache

    settings.FABRIQUE_HOST_CACHE_SECONDS = 30
    host_cache.clear()
    yield host_cache
    host_cache.clear()


def test_host_cache_saves_the_lookup_and_gives_each_request_its_own_instance(
    fabrique, host_cache, django_assert_num_queries
):
    client = client_on("lille.localhost")
    first = client.get("/robots.txt")
    with django_assert_num_queries(0):
        second = client.get("/robots.txt")
    assert first.wsgi_request.fabrique == second.wsgi_request.fabrique == fabrique
    assert first.wsgi_request.fabrique is not second.wsgi_request.fabrique


def test_host_cache_expires(fabrique, host_cache, monkeypatch):
    assert client_on("lille.localhost").get("/").status_code == 200
    fabrique.is_active = False
    fabrique.save(update_fields=["is_active"])
    assert client_on("lille.localhost").get("/").status_code == 200  # still cached
    now = host_cache.time.monotonic()
    monkeypatch.setattr(host_cache.time, "monotonic", lambda: now + 31)
    assert client_on("lille.localhost").get("/").status_code == 404


@pytest.mark.parametrize("host", ["[::1]", "[::1]:8000"])
def test_ipv6_loopback_is_an_unknown_host_not_a_crash(fabrique, settings, host):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "[::1]"]
    response = client_on(host).get("/")
    assert response.status_code == 404
    assert response.wsgi_request.fabrique is None


def test_ipv6_loopback_can_be_a_national_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "[::1]"]
    settings.NATIONAL_HOSTS = [*settings.NATIONAL_HOSTS, "[::1]"]
    assert client_on("[::1]:8000").get("/").status_code == 200
