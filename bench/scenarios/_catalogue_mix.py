"""A realistic mix of catalogue searches, so that the result cache misses as it would in production.

Deterministic (seeded). Each request of the sequence is, by draw:
- 65 %: one of ~300 "popular" URLs (aid and structure lists: the bare list, frequent searches,
  facet combinations, further pages, other sorts), chosen with Zipf weights (1/rank), so a few
  are very frequent and most are rare;
- 35 %: a long-tail URL seen once in the whole run (a search of random words, sometimes with
  a facet or a page): always a cache miss.
Clients start at evenly spread positions of the sequence (`bench.loadgen`), so that they do not
walk it in step (which would turn every repeat into a cache hit).
"""

from __future__ import annotations

import itertools
import random
from urllib.parse import urlencode

SEED = 20261122
SEQUENCE_LENGTH = 12_000  # longer than any run: 3 rounds × (1,500 + 100 warm-up) × 2 scenarios
POPULAR_SHARE = 0.65

_AID_WORDS = [
    "pret honneur",
    "microcredit",
    "garantie",
    "subvention",
    "avance remboursable",
    "financement participatif",
    "concours",
    "pepiniere",
    "formation gestion",
    "exoneration charges",
    "french tech",
    "cheque conseil",
    "quartiers prioritaires",
    "jeunes",
    "femmes entrepreneures",
    "demandeurs emploi",
    "rsa",
    "artisans",
    "commerce proximite",
    "reprise entreprise",
    "materiel vehicule",
    "fonds propres",
    "numerique",
    "economie sociale solidaire",
]
_STRUCTURE_WORDS = [
    "ateliers createurs",
    "boutique gestion",
    "incubateur",
    "adie",
    "mission locale",
    "tiers-lieu",
    "cci",
]
_TAIL_WORDS = [
    w
    for phrase in _AID_WORDS + _STRUCTURE_WORDS + ["lille", "roubaix", "lens", "arras", "calais"]
    for w in phrase.split()
]
_STAGES = ["awareness", "emergence", "structuring", "financing", "creation", "post_creation"]
_KINDS = ["honour_loan", "micro_credit", "bank_guarantee", "grant", "repayable_advance", "crowdfunding", "training"]
_SITUATIONS = ["job_seeker", "rsa", "employee", "student", "self_employed"]
_SORTS = ["nom", "montant", "recent"]
_NETWORKS = ["bge", "initiative", "france_active", "adie", "cci", "incubator"]
_THEMES = ["coaching", "training", "financing", "hosting"]


def _url(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def popular_urls() -> list[str]:
    """~300 distinct URLs, the most likely first (their Zipf rank is their position)."""
    rng = random.Random(SEED)
    urls = ["/aides/", "/structures/"]
    urls += [_url("/aides/", [("q", w)]) for w in _AID_WORDS[:8]]
    urls += [_url("/aides/", [("etape", s)]) for s in _STAGES]
    urls += [_url("/aides/", [("nature", k)]) for k in _KINDS]
    urls += [_url("/aides/", [("public", "qpv")]), _url("/aides/", [("public", "tous")])]
    urls += [_url("/aides/", [("situation", s)]) for s in _SITUATIONS]
    urls += [_url("/structures/", [("q", w)]) for w in _STRUCTURE_WORDS]
    urls += [_url("/structures/", [("reseau", n)]) for n in _NETWORKS]
    urls += [_url("/aides/", [("q", w)]) for w in _AID_WORDS[8:]]
    urls += [_url("/aides/", [("page", str(p))]) for p in range(2, 6)]
    urls += [_url("/aides/", [("tri", t)]) for t in _SORTS]
    combos = list(itertools.product(_AID_WORDS[:12], _STAGES))
    rng.shuffle(combos)
    urls += [_url("/aides/", [("q", w), ("etape", s)]) for w, s in combos[:60]]
    combos2 = list(itertools.product(_STAGES, _KINDS))
    rng.shuffle(combos2)
    urls += [_url("/aides/", [("etape", s), ("nature", k)]) for s, k in combos2[:40]]
    urls += [_url("/aides/", [("q", w), ("page", "2")]) for w in _AID_WORDS[:12]]
    urls += [_url("/aides/", [("q", w), ("tri", t)]) for w in _AID_WORDS[:10] for t in _SORTS]
    urls += [_url("/aides/", [("situation", x), ("public", "tous")]) for x in _SITUATIONS]
    urls += [_url("/aides/", [("etape", s), ("montant_min", "5000")]) for s in _STAGES]
    urls += [_url("/structures/", [("theme", t), ("reseau", n)]) for t in _THEMES for n in _NETWORKS]
    urls += [_url("/structures/", [("q", w), ("page", "2")]) for w in _STRUCTURE_WORDS]
    return list(dict.fromkeys(urls))


def _tail_url(rng: random.Random) -> str:
    words = " ".join(rng.sample(_TAIL_WORDS, rng.randint(1, 3)))
    if rng.random() < 0.2:
        return _url("/structures/", [("q", words)])
    params = [("q", words)]
    roll = rng.random()
    if roll < 0.3:
        params.append(("etape", rng.choice(_STAGES)))
    elif roll < 0.45:
        params.append(("nature", rng.choice(_KINDS)))
    elif roll < 0.55:
        params.append(("page", "2"))
    return _url("/aides/", params)


def sequence() -> list[str]:
    """The requests, in order: Zipf over the popular URLs, and a long tail never repeated."""
    rng = random.Random(SEED)
    popular = popular_urls()
    weights = [1 / rank for rank in range(1, len(popular) + 1)]
    paths: list[str] = []
    seen_tail: set[str] = set()
    while len(paths) < SEQUENCE_LENGTH:
        if rng.random() < POPULAR_SHARE:
            paths.append(rng.choices(popular, weights)[0])
            continue
        url = _tail_url(rng)
        if url in seen_tail or url in popular:
            continue  # the tail is made of first-time searches
        seen_tail.add(url)
        paths.append(url)
    return paths
