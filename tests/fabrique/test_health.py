"""`/healthz`: 200 while the database answers, broker state in the body, 503 without database."""

import socket

import pytest
from django.db import connection

from tests.conftest import client_on


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"


@pytest.fixture
def database_down():
    """Point the default connection at a closed port for real, then restore it."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(_closed_port())})
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db
def test_health_reports_database_and_broker_down_as_200(broker_down):
    response = client_on("localhost").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unavailable"}


@pytest.mark.django_db(transaction=True)
def test_health_is_503_when_database_is_down(database_down, broker_down):
    response = client_on("localhost").get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_health_answers_on_any_host_and_is_not_cached(broker_down):
    response = client_on("nimporte-quoi.localhost").get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_reports_broker_ok_when_it_answers(settings, broker_url):
    settings.CELERY_BROKER_URL = broker_url
    response = client_on("localhost").get("/healthz")
    assert response.json() == {"database": "ok", "broker": "ok"}
