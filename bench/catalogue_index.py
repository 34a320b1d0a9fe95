"""`python -m bench.catalogue_index`: what the catalogue's in-memory index costs a process.

On the `fabrique_bench` database (the catalogue of `bench/scenarios/catalogue_search.py`:
50,000 aid schemes, 5,000 structures; created if missing), in this process:

- **build**: the aid index and the structure index, a portal's view (the realistic Fabrique,
  ~6,400 visible aids, and the worst case, all 50,000), the postings of the most common words;
  what a process pays once after each catalogue change (median of the rounds);
- **memory**: the bytes of the numpy arrays of the indexes and views, and the process's
  resident memory before and after;
- **one search**: `search_page` (facets, total, page, cards) for the first 2,000 aid requests of
  the realistic mix, warm (words and cards seen before) and cold (a new index for every request
  would be absurd: so "first time" means new search words), with its queries, beside the SQL
  baseline of the same answers: the facet counts of the page in one aggregate as before.

Exit code 1 if a search's answer differs from the SQL baseline's total.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    from bench.database import setup_django_on_bench_database

    setup_django_on_bench_database()


def median_ms(run: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_bytes(index: object) -> int:
    total = 0
    for value in vars(index).values():
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, dict):
            for inner in value.values():
                if isinstance(inner, np.ndarray):
                    total += inner.nbytes
                elif isinstance(inner, dict):
                    total += sum(mask.nbytes for mask in inner.values())
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    options = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from accompaniment.catalogue.filters import AidSchemeFilter
    from accompaniment.catalogue.indexes import (
        AIDS,
        STRUCTURES,
        CatalogueIndexes,
        build_aid_index,
        build_structure_index,
        catalogue_indexes,
    )
    from accompaniment.catalogue.search import search_page, search_tsqueries_clear
    from accompaniment.catalogue.selectors import aid_schemes_visible_in
    from accompaniment.catalogue.views.aids import AID_CARDS
    from bench.fixtures import BENCH_SLUG, WORST_CASE_SLUG
    from bench.scenarios._catalogue_mix import sequence
    from bench.scenarios.catalogue_search import ensure_catalogue
    from fabrique.models import Fabrique

    translation.activate("fr")
    ensure_catalogue()
    realistic = Fabrique.objects.get(slug=BENCH_SLUG)
    worst = Fabrique.objects.get(slug=WORST_CASE_SLUG)
    rss_before = rss_mib()

    print(f"\nBuild (median of {options.rounds}, ms)")
    current = catalogue_indexes()
    current.index(AIDS)

    def portal_view(fabrique: Fabrique) -> None:
        """A new set's view of a portal, its aid index already built (what one portal's first search pays)."""
        fresh = CatalogueIndexes(current.fingerprint, region_entries=0)
        fresh._indexes[AIDS] = current.index(AIDS)
        fresh.portal(AIDS, fabrique)

    builds = {
        "aid index (50,000 aids)": build_aid_index,
        "structure index (5,000 structures)": build_structure_index,
        "portal view, realistic Fabrique": lambda: portal_view(realistic),
        "portal view, worst case (all aids)": lambda: portal_view(worst),
    }
    for name, build in builds.items():
        print(f"  {name:<40} {median_ms(build, options.rounds):8.1f}")
    aid_index = catalogue_indexes().index(AIDS)
    for word in ("pret", "garant", "lill"):
        started = time.perf_counter()
        positions, _ = aid_index.text.postings(word)
        ms = (time.perf_counter() - started) * 1000
        print(f"  postings of {word!r:<28} {ms:8.1f}   ({len(positions):,} aids)")

    indexes = catalogue_indexes()
    indexes.index(STRUCTURES)
    indexes.portal(AIDS, realistic)
    indexes.portal(AIDS, worst)
    arrays = index_bytes(indexes.index(AIDS)) + index_bytes(indexes.index(STRUCTURES))
    print(f"\nMemory: index arrays {arrays / 2**20:.1f} MiB; resident {rss_before:.0f} → {rss_mib():.0f} MiB (max RSS)")

    paths = [path for path in sequence() if path.startswith("/aides/")][: options.requests]
    failed = False
    print(f"\nOne search, in process ({len(paths):,} aid requests of the realistic mix; ms per request)")
    print(f"  {'portal':<12} {'pass':<26} {'p50':>6} {'p95':>6} {'mean':>6} {'queries':>8}")
    for label, fabrique in (("realistic", realistic), ("worst case", worst)):
        for pass_name in ("first (new words, cards)", "again (warm)"):
            if pass_name.startswith("first"):
                search_tsqueries_clear()
                indexes.cards.clear()
                indexes.index(AIDS).text.clear()
            timings, queries = [], 0
            for path in paths:
                query = QueryDict(path.partition("?")[2])
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    search_page(AIDS, AidSchemeFilter(query), fabrique, query=query, cards=AID_CARDS)
                timings.append((time.perf_counter() - started) * 1000)
                queries += len(captured)
            timings.sort()
            print(
                f"  {label:<12} {pass_name:<26} {timings[len(timings) // 2]:6.2f} "
                f"{timings[int(len(timings) * 0.95)]:6.2f} {statistics.fmean(timings):6.2f} "
                f"{queries / len(paths):8.2f}"
            )

    # The SQL the search no longer runs: the facet counts in one aggregate, as before (one query).
    print("\nSQL baseline: the visible aids matching « pret honneur » counted in PostgreSQL")
    for label, fabrique in (("realistic", realistic), ("worst case", worst)):
        from django.contrib.postgres.search import SearchQuery

        from accompaniment.catalogue.models import SEARCH_CONFIG

        words = SearchQuery("pret honneur", config=SEARCH_CONFIG, search_type="websearch")
        visible = aid_schemes_visible_in(fabrique).filter(search_vector=words)
        expected = visible.count()
        ms = median_ms(lambda visible=visible: visible.count(), options.rounds)
        query = QueryDict("q=pret+honneur")
        found = search_page(AIDS, AidSchemeFilter(query), fabrique, query=query, cards=AID_CARDS)
        index_ms = median_ms(
            lambda fabrique=fabrique, query=query: search_page(
                AIDS, AidSchemeFilter(query), fabrique, query=query, cards=AID_CARDS
            ),
            options.rounds,
        )
        same = found.page.paginator.count == expected
        failed |= not same
        print(
            f"  {label:<12} SQL count alone {ms:7.1f} ms; the whole search page from the index {index_ms:5.2f} ms"
            f" ({expected:,} results, {'same' if same else 'DIFFERENT'})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
