"""Test settings: deterministic and fast, on real PostgreSQL."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-insecure-secret-key-not-for-production-use")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("FABRIQUE_EMBEDDED_SERVICES", "1")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", ".localhost,localhost,testserver")
os.environ.setdefault("FABRIQUE_NATIONAL_HOSTS", "localhost,testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# Fabriques are created per test: no host cache across tests (tests of the cache turn it on).
os.environ.setdefault("FABRIQUE_HOST_CACHE_SECONDS", "0")
# Tests write and read the catalogue in one process and one transaction: check before each search.
os.environ.setdefault("CATALOGUE_FRESHNESS_RECHECK_MS", "0")

from fabrique.settings.base import *  # noqa: F403
from fabrique.settings.base import STORAGES

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
CONN_MAX_AGE = 0
# Static files straight from the app and project folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
