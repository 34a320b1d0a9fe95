"""Data shared by several scenarios, created idempotently through the ORM in the bench database.

Import these helpers only inside `setup` functions: Django is configured (on the bench
database) by the harness before any setup runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from territories.models import EPCI

BENCH_HOST = "bench.localhost"
NATIONAL_HOST = "localhost"
BENCH_SLUG = "bench"
BENCH_NAME = "Fabrique de banc d'essai"
# The national home page lists this many active Fabriques, the bench one included.
NATIONAL_FABRIQUES = 30
# The catalogue's worst-case Fabrique (every aid visible): active, but not one of the national
# page's `NATIONAL_FABRIQUES` (the national scenario leaves it out of its check).
WORST_CASE_SLUG = "bench-tout"
WORST_CASE_HOST = "tout.localhost"
# EPCI in each Fabrique's perimeter (the national page prefetches perimeters).
EPCI_PER_FABRIQUE = 2


def _epci(number: int) -> EPCI:
    from territories.models import EPCI

    epci, _ = EPCI.objects.update_or_create(
        siren=f"{200_000_000 + number:09d}",
        defaults={"name": f"EPCI de banc d'essai n° {number:02d}", "nature": EPCI.Nature.CA},
    )
    return epci


def ensure_fabrique(slug: str, name: str, short_name: str, host: str, index: int) -> None:
    """One active Fabrique with its primary host and a small perimeter."""
    from fabrique.models import Fabrique, FabriqueHost

    fabrique, _ = Fabrique.objects.update_or_create(
        slug=slug, defaults={"name": name, "short_name": short_name, "is_active": True}
    )
    FabriqueHost.objects.filter(fabrique=fabrique, is_primary=True).exclude(host=host).update(is_primary=False)
    FabriqueHost.objects.update_or_create(host=host, defaults={"fabrique": fabrique, "is_primary": True})
    first = index * EPCI_PER_FABRIQUE
    fabrique.perimeter.set([_epci(first + offset) for offset in range(EPCI_PER_FABRIQUE)])


def ensure_bench_fabrique() -> None:
    """The Fabrique that tenant scenarios use, on `bench.localhost`."""
    ensure_fabrique(BENCH_SLUG, BENCH_NAME, "Banc", BENCH_HOST, index=0)


def national_fabrique_name(number: int) -> str:
    return f"Fabrique d'essai n° {number:02d}"


def ensure_national_fabriques() -> None:
    """`NATIONAL_FABRIQUES` active Fabriques in all: the bench one and numbered others."""
    from fabrique.models import Fabrique

    ensure_bench_fabrique()
    for number in range(2, NATIONAL_FABRIQUES + 1):
        ensure_fabrique(
            f"bench-{number:02d}",
            national_fabrique_name(number),
            f"Essai {number:02d}",
            f"bench-{number:02d}.localhost",
            index=number - 1,
        )
    active = Fabrique.objects.active().exclude(slug=WORST_CASE_SLUG).count()
    if active != NATIONAL_FABRIQUES:
        raise RuntimeError(
            f"The bench database has {active} active Fabriques, the national scenario expects "
            f"{NATIONAL_FABRIQUES}: a scenario's setup created others (give them is_active=False)."
        )
