"""Catalogue maintenance, scheduled by Celery beat (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from accompaniment.catalogue.freshness import catalogue_changes_compact


@shared_task(name="catalogue.changes_compact", ignore_result=True)
def changes_compact() -> int:
    """Forget the notes of catalogue changes older than a day (idempotent)."""
    return catalogue_changes_compact()
