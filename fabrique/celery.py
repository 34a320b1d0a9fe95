"""The Celery application (composition root: it may import every app's tasks)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabrique.settings.dev")

app = Celery("fabrique")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
