"""Project package and platform: settings, urls, Celery app, tenancy, accounts."""

from fabrique.celery import app as celery_app

__all__ = ["celery_app"]
