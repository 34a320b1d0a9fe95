"""Background work: a dead broker never breaks a request; a real worker runs the tasks."""

import contextlib
import datetime
import logging
import socket

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from fabrique.celery import app
from fabrique.jobs import job_enqueue_on_commit, job_send
from fabrique.tasks import sessions_clear_expired


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _expired_session(key: str) -> None:
    Session.objects.create(session_key=key, session_data="", expire_date=timezone.now() - datetime.timedelta(days=1))


@contextlib.contextmanager
def celery_on(broker_url: str):
    """The Celery app publishing to `broker_url` for real (not eager), with fresh connection pools."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def reset_pools() -> None:
        # Forget, never close: kombu keeps pools in a process-wide registry, and even eager
        # tasks acquire a producer from it, so a closed pool would break later tests.
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    try:
        yield app
    finally:
        reset_pools()
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])


@pytest.mark.django_db(transaction=True)
def test_a_dead_broker_is_logged_not_raised(caplog):
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    with celery_on(dead), caplog.at_level(logging.WARNING, logger="fabrique.jobs"):
        with transaction.atomic():
            _expired_session("a" * 32)
            job_enqueue_on_commit(sessions_clear_expired)
        assert job_send(sessions_clear_expired) is False
    assert dead.rsplit(":", 1)[1].split("/")[0] in caplog.text
    assert "broker unavailable" in caplog.text
    assert Session.objects.filter(session_key="a" * 32).exists()  # nothing lost, nothing half-done


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_enqueued_task(broker_url):
    _expired_session("b" * 32)
    Session.objects.create(
        session_key="c" * 32, session_data="", expire_date=timezone.now() + datetime.timedelta(days=1)
    )
    with celery_on(broker_url) as live, start_worker(live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert job_send(sessions_clear_expired) is True
        deadline = timezone.now() + datetime.timedelta(seconds=20)
        while Session.objects.filter(session_key="b" * 32).exists() and timezone.now() < deadline:
            pass
    assert not Session.objects.filter(session_key="b" * 32).exists()
    assert Session.objects.filter(session_key="c" * 32).exists()


@pytest.mark.django_db
def test_sessions_clear_expired_is_idempotent():
    _expired_session("d" * 32)
    assert sessions_clear_expired() == 1
    assert sessions_clear_expired() == 0
