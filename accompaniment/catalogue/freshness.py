"""Whether the catalogue changed: the fingerprint that every in-memory search index is built for.

PostgreSQL triggers note each transaction that writes to a table the search reads
(`CatalogueChange`, migration 0003). The rows of a transaction become visible when it commits,
so the count, id range and statement total of that table change exactly when committed data is
new (and, for the writing transaction itself, at each of its writes), whoever
wrote it (services, admin, import, shell). Reading the fingerprint *before* building an index
means an index is never older than its fingerprint: at worst it is newer, and rebuilt once more.

The fingerprint is one small query; a process reads it at most every
`CATALOGUE_FRESHNESS_RECHECK_MS` (1 s by default, 0 in tests), and at once after a write of its
own (`catalogue_changed_here`, called by the services on commit). The day is part of it: aids
open and close by date.
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accompaniment.catalogue.models import CatalogueChange

Fingerprint = tuple[int, int, int, int, datetime.date]

_seen: tuple[Fingerprint, float] | None = None


def _read() -> Fingerprint:
    table = connection.ops.quote_name(CatalogueChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0), coalesce(sum(statements), 0) FROM {table}"
        )
        count, low, high, statements = cursor.fetchone()
    return int(count), int(low), int(high), int(statements), timezone.localdate()


def catalogue_fingerprint() -> Fingerprint:
    """The catalogue's current fingerprint, as this process last read it (see the module)."""
    global _seen
    now = time.monotonic()
    recheck = settings.CATALOGUE_FRESHNESS_RECHECK_MS / 1000
    if _seen is None or now - _seen[1] >= recheck or _seen[0][-1] != timezone.localdate():
        _seen = (_read(), now)
    return _seen[0]


def catalogue_changed_here() -> None:
    """This process wrote to the catalogue (called on commit): read the fingerprint again next time."""
    global _seen
    _seen = None


def catalogue_changes_compact(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete the notes of old changes, keeping the newest (the fingerprint changes once more)."""
    newest = CatalogueChange.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    deleted, _ = CatalogueChange.objects.filter(changed_at__lt=timezone.now() - older_than).exclude(id=newest).delete()
    return deleted
