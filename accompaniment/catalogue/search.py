"""One page of a catalogue search (facet counts, total, rows), answered from the in-memory index.

The FilterSet validates the parameters; this module turns them into masks over the index of
the list (`indexes.py`): what the portal shows, the words (PostgreSQL parses them, the index
evaluates them), the commune and the amounts, then the facet groups. It counts every facet option,
puts the page in order and renders its cards. Once warm, no query: the catalogue fingerprint at
most once a second, then one query each for a search text not seen before, for its words not
seen before, and for cards not rendered yet.

The rendered search region (form, facets, results; or the htmx partial) is also kept per
process, per catalogue fingerprint, portal and normalised query (`CATALOGUE_SEARCH_CACHE_ENTRIES`
most recent): it holds nothing personal, the page around it (menu, messages, CSP nonce) is
rendered for each request, and any catalogue write changes the fingerprint, so nothing stale is
ever served. Detail pages are not cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accompaniment.catalogue.facet_index import Mask
from accompaniment.catalogue.filters import SORT_RELEVANCE, AidSchemeFilter, Facet, FacetedFilterSet
from accompaniment.catalogue.indexes import CatalogueIndexes, catalogue_indexes
from accompaniment.catalogue.lru import LRU
from accompaniment.catalogue.models import SEARCH_CONFIG

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import QueryDict

    from fabrique.models import Fabrique

RESULTS_PER_PAGE = 20
CACHE_HEADER = "X-Catalogue-Cache"
# A search text's tsquery depends on the text search configuration only, not on the catalogue.
_tsqueries: LRU[str, str] = LRU(4096)


def search_tsquery(text: str) -> str:
    """PostgreSQL's tsquery (text form) of a search box, with French stemming and no accents."""
    found = _tsqueries.get(text)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text])
            found = str(cursor.fetchone()[0])
        _tsqueries.put(text, found)
    return found


def search_tsqueries_clear() -> None:
    _tsqueries.clear()


@dataclass(frozen=True)
class Cards:
    """How a list renders one result: `template` with the row as `name`, the row read from `rows()`."""

    template: str
    name: str
    rows: Callable[[], QuerySet[Any]]


@dataclass
class SearchPage:
    filterset: FacetedFilterSet
    facets: list[Facet]
    page: Page  # its object_list: the primary keys of the page, in order
    cards: list[SafeString]

    def context(self) -> dict[str, Any]:
        return {"filter": self.filterset, "facets": self.facets, "page_obj": self.page, "cards": self.cards}


def render_cards(
    kind: str, ids: list[int], featured: set[int], cards: Cards, indexes: CatalogueIndexes
) -> list[SafeString]:
    """The result cards of `ids`, in order: kept per catalogue state, the missing ones read (one query) and rendered.

    A card is the same for every visitor of every portal but for the "featured" badge, part of the key.
    """
    language = get_language()
    keys = [(kind, pk, pk in featured, language) for pk in ids]
    found = {key: indexes.cards.get(key) for key in keys}
    missing = [key[1] for key, html in found.items() if html is None]
    if missing:
        for row in cards.rows().filter(pk__in=missing):
            row.is_featured = row.pk in featured
            key = (kind, row.pk, row.is_featured, language)
            rendered = render_to_string(cards.template, {cards.name: row})
            found[key] = rendered
            indexes.cards.put(key, rendered)
    return [mark_safe(html) for key in keys if (html := found[key]) is not None]


def _amount_mask(filterset: FacetedFilterSet, columns: dict[str, np.ndarray]) -> Mask | None:
    """Aids whose amounts are known and whose range overlaps the one asked for."""
    low, high = filterset.cleaned.get("montant_min"), filterset.cleaned.get("montant_max")
    if low is None and high is None:
        return None
    amount_min, amount_max = columns["amount_min"], columns["amount_max"]
    mask = ~(np.isnan(amount_min) & np.isnan(amount_max))
    if low is not None:  # no maximum: no cap
        mask &= (amount_max >= float(low)) | np.isnan(amount_max)
    if high is not None:  # no minimum: from 0
        mask &= (amount_min <= float(high)) | np.isnan(amount_min)
    return mask


def search_page(
    kind: str,
    filterset: FacetedFilterSet,
    fabrique: Fabrique | None,
    *,
    query: QueryDict,
    cards: Cards,
    indexes: CatalogueIndexes | None = None,
) -> SearchPage:
    """The facets, the total, the requested page and its result cards, for a search of `kind` on a portal."""
    indexes = indexes or catalogue_indexes()
    index = indexes.index(kind)
    view = indexes.portal(kind, fabrique)
    base = view.visible.copy()
    scores = None
    if filterset.search_text:
        match = index.match_text(search_tsquery(filterset.search_text))
        base &= match.mask
        scores = match.scores
    condition = filterset.commune_condition()
    if condition is not None:
        base &= indexes.mask(kind, ("commune", filterset.cleaned["commune"]), lambda: condition)
    if isinstance(filterset, AidSchemeFilter) and (amounts := _amount_mask(filterset, index.columns)) is not None:
        base &= amounts
    counts, result = index.facet_counts(base, filterset.selected())
    by = None if filterset.sort_choice == SORT_RELEVANCE else filterset.sort_choice
    ordered = index.ordered(result, by=by, featured=view.featured, scores=scores)
    # A lazy object list: only the entries up to the requested page are put in order.
    page: Page = Paginator(cast("Any", ordered), RESULTS_PER_PAGE).get_page(query.get("page"))
    ids: list[int] = list(page.object_list)
    on_page = np.asarray(ids, dtype=np.int64)
    featured = {int(pk) for pk in on_page[view.featured[index.positions_of(on_page)]]} if ids else set()
    return SearchPage(filterset, filterset.facets(counts), page, render_cards(kind, ids, featured, cards, indexes))


def cached_region(
    kind: str, fabrique: Fabrique | None, query: QueryDict, *, partial: bool, render: Callable[[CatalogueIndexes], str]
) -> tuple[str, str]:
    """The rendered search region for this list, portal and query: kept, or `render(indexes)`.

    Also "hit", "miss" or "off": the views send it as the `X-Catalogue-Cache` header, which the
    benchmark counts (nothing personal: the same for every visitor of the portal).
    """
    indexes = catalogue_indexes()
    indexes.regions.capacity = settings.CATALOGUE_SEARCH_CACHE_ENTRIES
    if indexes.regions.capacity <= 0:
        return render(indexes), "off"
    normalised = "&".join(f"{key}={value}" for key in sorted(query) for value in sorted(query.getlist(key)))
    portal = fabrique.pk if fabrique is not None else "national"
    key = f"{kind}:{'partial' if partial else 'page'}:{portal}:{get_language()}:{normalised}"
    if len(key) > 512:  # very long queries: keyed by their digest
        key = hashlib.sha256(key.encode()).hexdigest()
    html = indexes.regions.get(key)
    if html is not None:
        return html, "hit"
    html = render(indexes)
    indexes.regions.put(key, html)
    return html, "miss"
