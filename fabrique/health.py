"""Health of the components the portal depends on."""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import DatabaseError, connection

# One client per broker URL and process: building a client per call costs more than the PING.
_broker_clients: dict[str, redis.Redis] = {}


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unavailable"
    return "ok"


def _broker_client(url: str) -> redis.Redis:
    client = _broker_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=settings.BROKER_HEALTH_TIMEOUT,
            socket_timeout=settings.BROKER_HEALTH_TIMEOUT,
        )
        _broker_clients[url] = client
    return client


def broker_status() -> str:
    try:
        _broker_client(settings.CELERY_BROKER_URL).ping()
    except (redis.RedisError, OSError):
        return "unavailable"
    return "ok"
