"""The bench database: `fabrique_bench`, on the server of DATABASE_URL or on the embedded PostgreSQL.

Only its name differs from the main database, which the harness never opens (it connects to
the server's `postgres` database, or else the main one, only to run CREATE DATABASE).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

BENCH_DATABASE = "fabrique_bench"
LIBPQ_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class BenchDatabase:
    url: str  # DATABASE_URL for Django and gunicorn (dj-database-url)
    conninfo: str  # the same, for psycopg (libpq URI)
    where: str  # for the report, without password
    created: bool  # it did not exist before this run


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(name)))


def _libpq(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme if parts.scheme in LIBPQ_SCHEMES else "postgresql"
    return urlunsplit(parts._replace(scheme=scheme))


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(":" + parts.password + "@", ":***@", 1)))


def _ensure(admin_conninfos: list[str], fresh: bool) -> bool:
    """Create the bench database if missing (dropped first if `fresh`); return True if it was created."""
    last_error: Exception | None = None
    for conninfo in admin_conninfos:
        try:
            connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            last_error = exc
            continue
        with connection:
            if fresh:
                drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE))
                connection.execute(drop)
            row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
            if row:
                return False
            try:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
            except errors.DuplicateDatabase:
                return False
            return True
    raise RuntimeError(f"Cannot connect to create the {BENCH_DATABASE} database: {last_error}")


def prepare(*, fresh: bool = False) -> BenchDatabase:
    """Locate the server (DATABASE_URL, else the embedded one) and make sure the bench database exists.

    `fresh`: drop it first (after a migration was rewritten, for instance).
    """
    main_url = os.environ.get("DATABASE_URL", "").strip()
    if main_url:
        url = _with_database(main_url, BENCH_DATABASE)
        created = _ensure([_libpq(_with_database(main_url, "postgres")), _libpq(main_url)], fresh)
        return BenchDatabase(url=url, conninfo=_libpq(url), where=_redacted(url), created=created)

    os.environ["FABRIQUE_EMBEDDED_SERVICES"] = "1"
    from fabrique.devservers import embedded_postgres_settings

    # Starts the embedded server, or joins it; this process keeps it up until it exits.
    embedded = embedded_postgres_settings()
    socket_dir, port = embedded["HOST"], embedded["PORT"] or "5432"
    # dj-database-url reads a percent-encoded socket directory as HOST (libpq does too).
    url = f"postgresql://postgres@{quote(socket_dir, safe='')}:{port}/{BENCH_DATABASE}"
    created = _ensure([f"postgresql://postgres@{quote(socket_dir, safe='')}:{port}/postgres"], fresh)
    return BenchDatabase(url=url, conninfo=url, where=f"embedded PostgreSQL, {url}", created=created)


def setup_django_on_bench_database() -> BenchDatabase:
    """For the standalone benchmarks: Django (dev settings) on the migrated bench database, in this process."""
    database = prepare()
    os.environ["DATABASE_URL"] = database.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabrique.settings.dev")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {database.where}", file=sys.stderr, flush=True)
    return database
