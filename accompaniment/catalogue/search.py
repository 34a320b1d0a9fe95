"""One page of a catalogue search (facet counts, total, rows) and its brief cache.

The facet counts and the ranking are the expensive part of a search over tens of thousands of
entries (one aggregate over every match, then a top-N sort), and rendering twenty cards and
forty facet options costs more than the rest of the request. So the rendered search region
(form, facets, results; or the htmx partial) is kept in the cache for
`CATALOGUE_SEARCH_CACHE_SECONDS` (setting, 60 s by default; 0 turns the cache off) under a key
made of the list, the portal and the normalised query string. It holds nothing personal: the
page around it (menu, messages, CSP nonce) is rendered for each request. Every catalogue write
(the services) bumps a version that is part of the key, so an edit or a curation shows at once
in the process that made it and within `VERSION_RECHECK_SECONDS` elsewhere; detail pages are
never cached.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page

from accompaniment.catalogue.filters import CountedPaginator, Facet, FacetedFilterSet

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import QueryDict

    from fabrique.models import Fabrique

RESULTS_PER_PAGE = 20
VERSION_KEY = "catalogue-search:version"
# How long a process trusts the catalogue version it last read (a cache read is a query).
VERSION_RECHECK_SECONDS = 2.0
_version_seen: tuple[int, float] = (0, 0.0)


def _catalogue_version() -> int:
    global _version_seen
    version, read_at = _version_seen
    now = time.monotonic()
    if now - read_at > VERSION_RECHECK_SECONDS:
        version = int(cache.get_or_set(VERSION_KEY, 1, None) or 1)
        _version_seen = (version, now)
    return version


def catalogue_search_invalidate() -> None:
    """The catalogue changed: cached search regions are stale (called by the services, on commit)."""
    global _version_seen
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # never set, or evicted
        version = 2
        cache.set(VERSION_KEY, version, None)
    _version_seen = (version, time.monotonic())


@dataclass
class SearchPage:
    filterset: FacetedFilterSet
    facets: list[Facet]
    page: Page

    def context(self) -> dict[str, Any]:
        return {"filter": self.filterset, "facets": self.facets, "page_obj": self.page}


def search_page(
    filterset: FacetedFilterSet, *, rows: Callable[[QuerySet[Any]], QuerySet[Any]], query: QueryDict
) -> SearchPage:
    """The facets (with the total, one query) and the requested page (one query) of a search.

    `rows(queryset)` adds what a result card displays (`select_related`, `only`) to the
    filtered, sorted queryset. The page's ids are chosen first, by a query that reads only ids
    and sort keys (the aids' covering index answers it alone); the wide rows are then read for
    those 20 only, by primary key, instead of for every match before the sort. (As a subquery,
    `id IN (SELECT … LIMIT 20)`, PostgreSQL scanned the whole table again: hence two queries.)
    """
    facets = filterset.facets()
    ordered = filterset.qs
    paginator = CountedPaginator(ordered.values_list("pk", flat=True), RESULTS_PER_PAGE, count=filterset.total or 0)
    page = paginator.get_page(query.get("page"))
    page.object_list = rows(ordered.filter(pk__in=list(page.object_list)))
    return SearchPage(filterset, facets, page)


CACHE_HEADER = "X-Catalogue-Cache"


def cached_region(
    kind: str, fabrique: Fabrique | None, query: QueryDict, *, partial: bool, render: Callable[[], str]
) -> tuple[str, str]:
    """The rendered search region for this list, portal and query, from the cache or `render()`.

    Also "hit", "miss" or "off": the views send it as the `X-Catalogue-Cache` header, which the
    benchmark counts (nothing personal: the same for every visitor of the portal).
    """
    seconds = settings.CATALOGUE_SEARCH_CACHE_SECONDS
    if not seconds:
        return render(), "off"
    normalised = "&".join(f"{key}={value}" for key in sorted(query) for value in sorted(query.getlist(key)))
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
    portal = fabrique.pk if fabrique is not None else "national"
    key = f"catalogue-search:{_catalogue_version()}:{kind}:{'partial' if partial else 'page'}:{portal}:{digest}"
    html = cache.get(key)
    if html is not None:
        return html, "hit"
    html = render()
    cache.set(key, html, seconds)
    return html, "miss"
