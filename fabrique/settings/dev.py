"""Development settings: defaults in the environment, then the production-safe base."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-not-for-production-use")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("FABRIQUE_EMBEDDED_SERVICES", "1")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1,[::1]")
os.environ.setdefault("FABRIQUE_NATIONAL_HOSTS", "localhost,127.0.0.1,[::1]")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
os.environ.setdefault("FABRIQUE_HOST_CACHE_SECONDS", "2")
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from fabrique.settings.base import *  # noqa: F403
from fabrique.settings.base import STORAGES

# No manifest in development: files are served as they are edited.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Static files straight from the app and project folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
