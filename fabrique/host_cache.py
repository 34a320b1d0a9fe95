"""Host → Fabrique resolution with a short per-process cache.

The lookup runs on every request and costs more than a small view; hosts and
branding change rarely, so each process keeps the answer for a few seconds
(`FABRIQUE_HOST_CACHE_SECONDS`; 0 disables it, as in tests). Every request gets its
own instance rebuilt from the cached field values, so no request can alter another's.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings

from fabrique.models import Fabrique

_lock = threading.Lock()
_entries: dict[str, tuple[float, dict[str, Any] | None]] = {}
_MAX_ENTRIES = 1000  # bounded: unknown hosts are cached too, and anyone can send one


def fabrique_for_host(host: str) -> Fabrique | None:
    ttl = settings.FABRIQUE_HOST_CACHE_SECONDS
    if ttl <= 0:
        return Fabrique.objects.active().for_host(host)
    now = time.monotonic()
    entry = _entries.get(host)
    values: dict[str, Any] | None
    if entry is None or entry[0] < now:
        values = dict(row) if (row := Fabrique.objects.active().filter(hosts__host=host).values().first()) else None
        with _lock:
            if len(_entries) >= _MAX_ENTRIES:
                _entries.clear()
            _entries[host] = (now + ttl, values)
    else:
        values = entry[1]
    if values is None:
        return None
    fabrique = Fabrique(**values)
    fabrique._state.adding = False
    fabrique._state.db = "default"
    return fabrique


def clear() -> None:
    with _lock:
        _entries.clear()
