"""Platform maintenance tasks, scheduled by Celery beat (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="fabrique.sessions_clear_expired", ignore_result=True)
def sessions_clear_expired() -> int:
    """Delete expired sessions (they live in PostgreSQL); idempotent."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
