"""Which QPV contains a point: point-in-polygon on the real QPV outlines, with shapely.

PostGIS is not available in the embedded server, so each process keeps an index of the
QPV table in memory: the polygons (MultiPolygons split into their parts, prepared) in an
STRtree, queried in bulk by `qpv_codes_at` or one point at a time by `qpv_at`. A point on
a boundary counts as inside; QPV do not overlap, so at most one contains a point (should
two, the first by code wins).

The index is built lazily and rebuilt when the table changes. Its fingerprint — row count,
highest id and the sum of the rows' `xmin` (the PostgreSQL transaction that wrote each
row version, so an update of any row changes it) — costs one query. Outside a transaction
the index is trusted for `RECHECK_SECONDS` after a check, so that single lookups need no
query; inside a transaction it is checked on every call, because the transaction may
itself have written QPV rows, or be rolled back. `geography_load` also invalidates it in
its own process when it commits a change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db import DEFAULT_DB_ALIAS, connections
from numpy.typing import NDArray

from territories.models import QPV

RECHECK_SECONDS = 2.0

Fingerprint = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class QPVIndex:
    """An immutable snapshot of the QPV table, for point-in-QPV queries."""

    fingerprint: Fingerprint
    using: str
    codes: tuple[str, ...]  # sorted by code; "positions" below index this
    # Field values of each QPV except its geometry, to hand out model instances.
    field_names: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    parts: NDArray[np.object_]  # the polygons, prepared
    part_owner: NDArray[np.intp]  # position of the QPV each part belongs to
    tree: shapely.STRtree

    @classmethod
    def build(cls, fingerprint: Fingerprint, using: str = DEFAULT_DB_ALIAS) -> QPVIndex:
        field_names = tuple(f.attname for f in QPV._meta.concrete_fields if f.name != "geometry")
        records = list(QPV.objects.using(using).order_by("code").values_list("geometry", *field_names))
        geometries = np.array([shapely.geometry.shape(record[0]) for record in records] or [], dtype=object)
        parts, owner = shapely.get_parts(geometries, return_index=True)
        shapely.prepare(parts)
        # GEOS builds a prepared polygon's point locator on its first point inside the box:
        # do it now, under the build lock, so that threads sharing the index only read it.
        boxes = shapely.bounds(parts).reshape(-1, 4)
        shapely.intersects_xy(parts, (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2)
        code_at = field_names.index("code")
        return cls(
            fingerprint=fingerprint,
            using=using,
            codes=tuple(record[1 + code_at] for record in records),
            field_names=field_names,
            rows=tuple(tuple(record[1:]) for record in records),
            parts=parts,
            part_owner=owner.astype(np.intp),
            tree=shapely.STRtree(parts),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def positions_at(self, latitudes: NDArray[np.float64], longitudes: NDArray[np.float64]) -> NDArray[np.intp]:
        """For each point, the position of the QPV containing it, or -1."""
        result = np.full(len(latitudes), -1, dtype=np.intp)
        if len(latitudes) == 0 or len(self.parts) == 0:
            return result
        point_index, part_index = self.tree.query(shapely.points(longitudes, latitudes))
        inside = shapely.intersects_xy(self.parts[part_index], longitudes[point_index], latitudes[point_index])
        point_index, owners = point_index[inside], self.part_owner[part_index[inside]]
        # One QPV per point, the first by code should polygons ever overlap.
        order = np.lexsort((owners, point_index))
        points, first = np.unique(point_index[order], return_index=True)
        result[points] = owners[order][first]
        return result

    def position_at(self, latitude: float, longitude: float) -> int | None:
        """The position of the QPV containing the point, or None (one point: no arrays)."""
        candidates = self.tree.query(shapely.Point(longitude, latitude))
        best: int | None = None
        for part in candidates:
            owner = int(self.part_owner[part])
            if (best is None or owner < best) and shapely.intersects_xy(self.parts[part], longitude, latitude):
                best = owner
        return best

    def qpv(self, position: int) -> QPV:
        """A fresh QPV instance (geometry deferred), as if loaded with `.defer("geometry")`."""
        return QPV.from_db(self.using, list(self.field_names), list(self.rows[position]))

    def qpv_at(self, latitude: float, longitude: float) -> QPV | None:
        position = self.position_at(latitude, longitude)
        return None if position is None else self.qpv(position)

    def codes_at(self, latitudes: NDArray[np.float64], longitudes: NDArray[np.float64]) -> list[str | None]:
        return [None if position < 0 else self.codes[position] for position in self.positions_at(latitudes, longitudes)]


_lock = threading.Lock()
_index: QPVIndex | None = None
# When the index was last found current outside a transaction (monotonic clock).
_verified_at: float | None = None


def fingerprint(using: str = DEFAULT_DB_ALIAS) -> Fingerprint:
    """A cheap summary of the QPV table that changes whenever any row is written or deleted."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'SELECT count(*), coalesce(max(id), 0), coalesce(sum(xmin::text::bigint), 0) FROM "{QPV._meta.db_table}"'
        )
        count, max_id, xmin_sum = cursor.fetchone()
    return int(count), int(max_id), int(xmin_sum)


def _in_transaction(using: str) -> bool:
    return connections[using].in_atomic_block


def qpv_index(using: str = DEFAULT_DB_ALIAS) -> QPVIndex:
    """The current index, built or rebuilt if the QPV table changed (see the module's docstring)."""
    global _index, _verified_at
    in_transaction = _in_transaction(using)
    index, verified_at = _index, _verified_at
    if (
        index is not None
        and index.using == using
        and not in_transaction
        and verified_at is not None
        and time.monotonic() - verified_at < RECHECK_SECONDS
    ):
        return index
    with _lock:
        current = fingerprint(using)
        if _index is None or _index.using != using or _index.fingerprint != current:
            _index = QPVIndex.build(current, using)
        # What a transaction sees may never be committed: only a check outside one is trusted for a while.
        _verified_at = None if in_transaction else time.monotonic()
        return _index


def invalidate() -> None:
    """Forget the index of this process: the next lookup rebuilds it."""
    global _index, _verified_at
    with _lock:
        _index, _verified_at = None, None


def qpv_at(latitude: float, longitude: float) -> QPV | None:
    """The QPV containing the point (WGS84 degrees), or None."""
    return qpv_index().qpv_at(latitude, longitude)


def qpv_codes_at(points: Iterable[Sequence[float]] | NDArray[np.float64]) -> list[str | None]:
    """For each (latitude, longitude) point, the code of the QPV containing it, or None."""
    array = np.asarray(points if isinstance(points, np.ndarray) else list(points), dtype=np.float64)
    if array.size == 0:
        return []
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError("Points are expected as (latitude, longitude) pairs.")
    return qpv_index().codes_at(np.ascontiguousarray(array[:, 0]), np.ascontiguousarray(array[:, 1]))
