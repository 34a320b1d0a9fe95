"""The catalogue's in-memory search indexes, one set per process and per catalogue fingerprint.

`catalogue_indexes()` returns the set built for the catalogue as it is now (see `freshness.py`);
a write anywhere makes the next search build a new set, lazily, piece by piece:

- the aid index and the structure index (`FacetIndex`: every active entry, its facet masks and
  sort orders; built from one query each, ~0.3 s for 50,000 aids);
- per portal, which entries it shows and features: the positions of the ids that
  `selectors.aid_schemes_visible_in` / `structures_visible_in` return (one query; still the one
  definition of what a Fabrique shows);
- per filter value that only SQL can answer (a commune: which aids' coverage reaches it), the
  positions of its ids;
- the rendered search regions of the most recent queries (`CATALOGUE_SEARCH_CACHE_ENTRIES`).

None of it holds personal data: the catalogue is public, and a portal's view holds ids only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import F, FloatField, Func, Q, QuerySet
from django.db.models.functions import Cast

from accompaniment.catalogue.facet_index import FacetIndex, Mask
from accompaniment.catalogue.filters import PUBLIC_EVERYONE, PUBLIC_QPV
from accompaniment.catalogue.freshness import Fingerprint, catalogue_fingerprint
from accompaniment.catalogue.lru import LRU
from accompaniment.catalogue.models import AidScheme, Offer, Structure, choice_bit
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in
from accompaniment.vocabulary import Audience, Situation, Stage
from fabrique.perimeter import perimeter_communes

if TYPE_CHECKING:
    from fabrique.models import Fabrique

AIDS = "aids"
STRUCTURES = "structures"

CARD_ENTRIES = 10_000  # ~1 KB each


def _rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list` queryset straight from the cursor (no per-row conversion)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _column(rows: list[tuple[Any, ...]], index: int, dtype: Any) -> np.ndarray:
    return np.array([row[index] for row in rows], dtype=dtype)


def _updated_microseconds() -> Func:
    """`updated_at` as microseconds since 1970 (UTC: no time zone shift, so no DST reordering)."""
    return Func(F("updated_at"), template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)", output_field=FloatField())


def _recent_order(ids: np.ndarray, updated: np.ndarray) -> np.ndarray:
    """Positions by last update, newest first, then primary key (as `order_by("-updated_at", "pk")`)."""
    return np.lexsort((ids, -updated))


def build_aid_index() -> FacetIndex:
    """Every active aid scheme, in name order, with the masks of the /aides/ facets."""
    rows = _rows(
        AidScheme.objects.filter(is_active=True)
        .order_by("name", "pk")
        .values_list(
            "pk",
            "kind",
            "stage_bits",
            "situation_bits",
            "requires_qpv_residence",
            "is_unconditioned",
            Cast("amount_min", FloatField()),
            Cast("amount_max", FloatField()),
            _updated_microseconds(),
        )
    )
    ids = _column(rows, 0, np.int64)
    kinds = np.array([row[1] for row in rows], dtype=object)
    stage_bits = _column(rows, 2, np.int64)
    situation_bits = _column(rows, 3, np.int64)
    qpv_only = _column(rows, 4, bool)
    unconditioned = _column(rows, 5, bool)
    amount_min = np.array([np.nan if row[6] is None else row[6] for row in rows], dtype=np.float64)
    amount_max = np.array([np.nan if row[7] is None else row[7] for row in rows], dtype=np.float64)
    updated = _column(rows, 8, np.float64)
    positions = np.arange(len(ids))
    no_maximum = np.isnan(amount_max)
    options = {
        "etape": {stage: (stage_bits & choice_bit(Stage, stage)) != 0 for stage in Stage.values},
        "nature": {kind: kinds == kind for kind in AidScheme.Kind.values},
        "public": {PUBLIC_QPV: qpv_only, PUBLIC_EVERYONE: unconditioned},
        # Open to this situation: no condition on situations, or this one listed.
        "situation": {
            situation: (situation_bits == 0) | ((situation_bits & choice_bit(Situation, situation)) != 0)
            for situation in Situation.values
        },
    }
    orders = {  # keyed by the `tri` values of filters.py (the name order is the positions themselves)
        # Largest maximum first, aids without a maximum last, then by name.
        "montant": np.lexsort((positions, -np.nan_to_num(amount_max, nan=0.0), no_maximum)),
        "recent": _recent_order(ids, updated),
    }
    return FacetIndex(
        ids=ids,
        options=options,
        orders=orders,
        columns={"amount_min": amount_min, "amount_max": amount_max},
        table=AidScheme._meta.db_table,
    )


# A structure's searchable document: its own vector and its active offers' (the aggregate
# `catalogue_tsvector_agg` is `||` over rows, migration 0004).
STRUCTURE_DOCUMENT_SQL = (
    "search_vector || coalesce((SELECT catalogue_tsvector_agg(o.search_vector) FROM catalogue_offer o"
    " WHERE o.structure_id = catalogue_structure.id AND o.is_active), ''::tsvector)"
)


def build_structure_index() -> FacetIndex:
    """Every active structure, in name order, with the masks of the /structures/ facets (from their active offers)."""
    rows = _rows(
        Structure.objects.filter(is_active=True)
        .order_by("name", "pk")
        .values_list("pk", "network", _updated_microseconds())
    )
    ids = _column(rows, 0, np.int64)
    networks = np.array([row[1] for row in rows], dtype=object)
    updated = _column(rows, 2, np.float64)
    index = FacetIndex(
        ids=ids,
        options={"reseau": {network: networks == network for network in Structure.Network.values}},
        orders={"recent": _recent_order(ids, updated)},
        columns={},
        table=Structure._meta.db_table,
        document_sql=STRUCTURE_DOCUMENT_SQL,
        extra_text_sources=((Offer._meta.db_table, "structure_id"),),
    )
    themes = {theme: np.zeros(index.size, dtype=bool) for theme in Offer.Theme.values}
    stages = {stage: np.zeros(index.size, dtype=bool) for stage in Stage.values}
    audiences = {audience: np.zeros(index.size, dtype=bool) for audience in Audience.values}
    offers = _rows(
        Offer.objects.filter(is_active=True, structure__is_active=True).values_list(
            "structure_id", "theme", "stages", "audiences"
        )
    )
    positions = index.positions_of(np.array([offer[0] for offer in offers], dtype=np.int64))
    for position, (_, theme, offer_stages, offer_audiences) in zip(positions, offers, strict=True):
        if position < 0:
            continue
        themes[theme][position] = True
        for stage in offer_stages:
            stages[stage][position] = True
        for audience in offer_audiences:
            audiences[audience][position] = True
    index.options.update(theme=themes, etape=stages, public=audiences)
    return index


@dataclass(frozen=True)
class PortalView:
    """What one portal shows of an index, and what it features."""

    visible: Mask
    featured: Mask


class CatalogueIndexes:
    """Everything searches need for one catalogue fingerprint, built on first use."""

    def __init__(self, fingerprint: Fingerprint, *, region_entries: int) -> None:
        self.fingerprint = fingerprint
        self._indexes: dict[str, FacetIndex] = {}
        self._portals: LRU[tuple[str, int | None], PortalView] = LRU(256)
        self._masks: LRU[tuple[str, Hashable], Mask] = LRU(256)
        self._communes: LRU[int, list[tuple[str, str]]] = LRU(256)
        self.regions: LRU[str, str] = LRU(region_entries)
        # Rendered result cards: (list, primary key, featured, language) → HTML.
        self.cards: LRU[tuple[str, int, bool, str], str] = LRU(CARD_ENTRIES)
        self._lock = threading.Lock()

    def index(self, kind: str) -> FacetIndex:
        found = self._indexes.get(kind)
        if found is None:
            with self._lock:
                found = self._indexes.get(kind)
                if found is None:
                    found = build_aid_index() if kind == AIDS else build_structure_index()
                    self._indexes[kind] = found
        return found

    def portal(self, kind: str, fabrique: Fabrique | None) -> PortalView:
        key = (kind, fabrique.pk if fabrique is not None else None)
        view = self._portals.get(key)
        if view is None:
            index = self.index(kind)
            visible = (aid_schemes_visible_in if kind == AIDS else structures_visible_in)(fabrique)
            rows = _rows(visible.order_by().values_list("pk", F("is_featured")))
            featured_ids = [pk for pk, is_featured in rows if is_featured]
            view = PortalView(visible=index.mask_of([pk for pk, _ in rows]), featured=index.mask_of(featured_ids))
            self._portals.put(key, view)
        return view

    def communes(self, fabrique: Fabrique) -> list[tuple[str, str]]:
        """The Fabrique's communes as (INSEE code, "Name (postcode)"), for the commune filter."""
        found = self._communes.get(fabrique.pk)
        if found is None:
            found = [
                (insee, f"{name} ({postcodes[0]})" if postcodes else name)
                for insee, name, postcodes in perimeter_communes(fabrique).values_list("insee", "name", "postal_codes")
            ]
            self._communes.put(fabrique.pk, found)
        return found

    def mask(self, kind: str, key: Hashable, condition: Callable[[], Q]) -> Mask:
        """The positions of the active entries satisfying `condition()` (SQL), kept under `key`."""
        found = self._masks.get((kind, key))
        if found is None:
            model = AidScheme if kind == AIDS else Structure
            ids = [row[0] for row in _rows(model.objects.filter(condition(), is_active=True).values_list("pk"))]
            found = self.index(kind).mask_of(ids)
            self._masks.put((kind, key), found)
        return found


_current: CatalogueIndexes | None = None
_current_lock = threading.Lock()


def catalogue_indexes() -> CatalogueIndexes:
    """The indexes of the catalogue as it is now (a new, empty set when it changed)."""
    global _current
    fingerprint = catalogue_fingerprint()
    current = _current
    if current is None or current.fingerprint != fingerprint:
        with _current_lock:
            if _current is None or _current.fingerprint != fingerprint:
                _current = CatalogueIndexes(fingerprint, region_entries=settings.CATALOGUE_SEARCH_CACHE_ENTRIES)
            current = _current
    return current


def catalogue_indexes_clear() -> None:
    """Forget this process's indexes (tests start from nothing)."""
    global _current
    _current = None
