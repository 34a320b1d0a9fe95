"""Sending background work without ever hurting a request.

Tasks take primary keys and keep their state in the database, so a job that could not
be published (broker down) is not lost: the periodic sweep of its domain finds the row
still waiting and sends it again. Publishing itself fails fast (see CELERY_BROKER_* in
the settings), so a dead broker costs a request two seconds at worst, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def job_send(task: Task, *args: Any) -> bool:
    """Publish `task` now; False (logged) when the broker cannot be reached."""
    try:
        task.apply_async(args=args)
    except (OperationalError, OSError) as error:
        logger.warning("broker unavailable, %s%r not sent now: %s", task.name, args, error)
        return False
    return True


def job_enqueue_on_commit(task: Task, *args: Any) -> None:
    """Publish `task` once the current transaction commits (never before its rows exist)."""
    transaction.on_commit(lambda: job_send(task, *args))
