"""Base settings: safe for production. Every environment value is parsed strictly.

Development (`dev`) and tests (`test`) only set defaults in the environment and
import this module; production uses it as it is (`production`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from fabrique.env import env_bool, env_int, env_list, env_optional, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", default=False)
# Embedded PostgreSQL/Valkey from PyPI wheels when no URL is given (dev and tests only).
EMBEDDED_SERVICES = env_bool("FABRIQUE_EMBEDDED_SERVICES", default=False)

# Hosts are validated twice: here coarsely (domain suffixes), then by the tenancy
# middleware, which 404s any host that is neither the national portal nor a Fabrique.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
# Host names of the national portal (no tenant); Fabriques have theirs in the database.
NATIONAL_HOSTS = env_list("FABRIQUE_NATIONAL_HOSTS")
# Seconds each process keeps a host → Fabrique answer (0: no cache).
FABRIQUE_HOST_CACHE_SECONDS = env_int("FABRIQUE_HOST_CACHE_SECONDS", default=30)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_htmx",
    "csp",
    "django_celery_beat",
    "territories",
    "fabrique",
    "accompaniment",
    "accompaniment.catalogue",
    "accompaniment.journeys",
    "accompaniment.appointments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fabrique.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the security headers, so that the unknown-host page carries them too.
    "fabrique.middleware.TenantMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "fabrique.middleware.RequireStaffMFAMiddleware",
]

ROOT_URLCONF = "fabrique.urls"
WSGI_APPLICATION = "fabrique.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fabrique.context_processors.tenant",
                "fabrique.context_processors.roles",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
CONN_MAX_AGE = env_int("DJANGO_CONN_MAX_AGE", default=60)


def _default_database() -> dict[str, Any]:
    url = env_optional("DATABASE_URL")
    if url:
        database: dict[str, Any] = dict(dj_database_url.parse(url))
    elif EMBEDDED_SERVICES:
        from fabrique.devservers import embedded_postgres_settings

        database = embedded_postgres_settings()
    else:
        env_str("DATABASE_URL")  # unset: raises ImproperlyConfigured with a clear message
    database["CONN_MAX_AGE"] = CONN_MAX_AGE
    database["CONN_HEALTH_CHECKS"] = True
    options = database.setdefault("OPTIONS", {})
    options["connect_timeout"] = 5
    # JIT compilation costs more than it saves on the portal's short queries: on PostgreSQL 15 it
    # took 1.7 s of a 1.8 s catalogue facet query (bench/README.md).
    options.setdefault("options", "-c jit=off")
    return database


DATABASES = {"default": _default_database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker / Celery --------------------------------------------------------
_redis_url = env_optional("REDIS_URL")
if _redis_url:
    REDIS_URL = _redis_url
elif EMBEDDED_SERVICES:
    from fabrique.devservers import embedded_valkey_url

    REDIS_URL = embedded_valkey_url()
else:
    REDIS_URL = env_str("REDIS_URL")

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A request must never hang on a dead broker: fail fast, the job outbox keeps the job.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 0}
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired": {"task": "fabrique.sessions_clear_expired", "schedule": 60 * 60 * 6},
    "address-checks-verify-pending": {"task": "territories.address_checks_verify_pending", "schedule": 60 * 15},
    "address-checks-purge-orphans": {"task": "territories.address_checks_purge_orphans", "schedule": 60 * 60 * 24},
    "referrals-remind-unanswered": {"task": "journeys.referrals_remind_unanswered", "schedule": 60 * 60 * 24},
    "post-creation-checks-notify-due": {"task": "journeys.post_creation_checks_notify_due", "schedule": 60 * 60 * 24},
    "appointment-reminders-send": {"task": "appointments.reminders_send", "schedule": 60 * 15},
    "catalogue-changes-compact": {"task": "catalogue.changes_compact", "schedule": 60 * 60 * 24},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# Seconds the health check waits for the broker.
BROKER_HEALTH_TIMEOUT = 1.0

# Catalogue search (accompaniment/catalogue/indexes.py): how often a process asks PostgreSQL
# whether the catalogue changed (ms; 0: before every search), and how many rendered search
# regions each process keeps for the current catalogue (0: none).
CATALOGUE_FRESHNESS_RECHECK_MS = env_int("CATALOGUE_FRESHNESS_RECHECK_MS", default=1000)
CATALOGUE_SEARCH_CACHE_ENTRIES = env_int("CATALOGUE_SEARCH_CACHE_ENTRIES", default=500)

# --- National address API (BAN), used to tell whether an address is in a QPV (territories.ban).
BAN_URL = env_str("BAN_URL", "https://api-adresse.data.gouv.fr/search/")
BAN_TIMEOUT_SECONDS = 3
# Matches scored under this are treated as "address not found".
BAN_MIN_SCORE = 0.5

# --- Cache: in PostgreSQL, so that pages and rate limits keep working when Redis is down.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "fabrique_cache",
    }
}

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "fabrique.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "fabrique.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fabrique à entreprendre] "
# allauth's defaults, stated so that nobody turns them off by accident.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Fabrique à entreprendre"

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", " ").strip()
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", " ").strip()
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fabrique à entreprendre <ne-pas-repondre@fabrique-entreprendre.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()"
# Admins (platform operators); comma-separated "Name <email>" is not parsed: e-mails only.
ADMINS = [("Admin", email) for email in env_list("DJANGO_ADMINS")]

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
