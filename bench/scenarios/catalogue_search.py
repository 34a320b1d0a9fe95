"""Public aid search: `/aides/?q=pret+honneur` among 50,000 aid schemes (and 5,000 structures).

`setup` (shared by the other `catalogue_search_*` scenarios) creates, once, 50,000 aid schemes
with varied French text (so that full-text search does real work: « pret honneur » matches
about a quarter of them) spread over the territory as a national catalogue is: 10 % national,
30 % of one of 13 regions, 35 % of one of 100 departments, 25 % of one of 300 EPCI (made-up
territories). So the bench Fabrique (2 EPCI of one department) shows about 13 % of them
(~6,400), like a real one; the worst-case Fabrique (`tout.localhost`, every one of the 300 EPCI
in its perimeter) shows all 50,000. And 5,000 structures serving both, with two offers each.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING

from bench.fixtures import BENCH_HOST, BENCH_SLUG, WORST_CASE_HOST, WORST_CASE_SLUG, ensure_bench_fabrique
from bench.scenario import Scenario, SqlParams

if TYPE_CHECKING:
    from collections.abc import Iterator

AID_SCHEMES = 50_000
STRUCTURES = 5_000
BATCH = 5_000
SLUG_PREFIX = "banc-"
# Aids of the territorial spread above (the first version, 80 % national, is replaced).
AID_PREFIX = f"{SLUG_PREFIX}aide-v2-"
REGIONS, DEPARTMENTS_PER_REGION, EPCI_PER_DEPARTMENT = 13, 8, 3  # ~100 departments, ~300 EPCI

_TOPICS = [
    "prêt d'honneur à taux zéro",
    "microcrédit professionnel",
    "garantie bancaire sur le prêt",
    "subvention d'amorçage",
    "avance remboursable",
    "financement participatif",
    "prix du concours de la création",
    "hébergement en pépinière",
    "formation à la gestion",
    "exonération de charges sociales",
    "bourse French Tech",
    "chèque conseil",
]
_WHO = [
    "créateurs d'entreprise",
    "repreneurs",
    "habitants des quartiers prioritaires",
    "jeunes de moins de 26 ans",
    "femmes entrepreneures",
    "demandeurs d'emploi",
    "allocataires du RSA",
    "artisans",
    "commerçants",
    "porteurs de projet de l'économie sociale et solidaire",
]
_WHAT = [
    "pour financer le démarrage de l'activité",
    "pour renforcer les fonds propres",
    "pour acheter du matériel et un véhicule",
    "pour ouvrir un commerce de proximité",
    "pour reprendre une entreprise artisanale",
    "pour lancer un service numérique",
    "pour développer l'entreprise après trois ans",
    "pour tester son activité en couveuse",
]
_PLACES = ["Lille", "Roubaix", "Tourcoing", "Lens", "Arras", "Dunkerque", "Nancy", "Calais", "Douai", "Valenciennes"]
_NETWORK_WORDS = {
    "bge": "Boutique de gestion",
    "initiative": "Initiative",
    "france_active": "France Active",
    "adie": "Adie",
    "cci": "CCI",
    "cma": "Chambre de métiers",
    "cae": "Coopérative d'activité",
    "incubator": "Incubateur",
    "mission_locale": "Mission locale",
    "third_place": "Tiers-lieu",
}


def _bench_territory() -> tuple[list[int], list[int], list[int]]:
    """Made-up regions, departments and EPCI (ids); the bench Fabrique's 2 EPCI are in the first department."""
    from fabrique.models import Fabrique
    from territories.models import EPCI, Department, Region

    regions, departments, epcis = [], [], []
    bench_epcis = list(Fabrique.objects.get(slug=BENCH_SLUG).perimeter.order_by("pk").values_list("pk", flat=True))
    for r in range(REGIONS):
        region, _ = Region.objects.get_or_create(code=f"Z{r:02d}", defaults={"name": f"Région de banc d'essai {r}"})
        regions.append(region.pk)
        for d in range(DEPARTMENTS_PER_REGION):
            department, _ = Department.objects.get_or_create(
                code=f"{chr(ord('A') + r)}{d}Z",
                defaults={"name": f"Département de banc d'essai {r}-{d}", "region": region},
            )
            departments.append(department.pk)
            for e in range(EPCI_PER_DEPARTMENT):
                number = len(epcis)
                if number < len(bench_epcis):  # the bench Fabrique's own EPCI come first
                    EPCI.objects.filter(pk=bench_epcis[number]).update(department=department)
                    epcis.append(bench_epcis[number])
                    continue
                epci, _ = EPCI.objects.update_or_create(
                    siren=f"{220_000_000 + number:09d}",
                    defaults={
                        "name": f"EPCI de banc d'essai {r}-{d}-{e}",
                        "nature": EPCI.Nature.CC,
                        "department": department,
                    },
                )
                epcis.append(epci.pk)
    return regions, departments, epcis


def ensure_worst_case_fabrique(epcis: list[int]) -> None:
    """A Fabrique whose perimeter holds every made-up EPCI: it shows all 50,000 aids."""
    from fabrique.models import Fabrique, FabriqueHost

    fabrique, _ = Fabrique.objects.update_or_create(
        slug=WORST_CASE_SLUG,
        defaults={"name": "Fabrique de banc d'essai (pire cas)", "short_name": "Tout", "is_active": True},
    )
    FabriqueHost.objects.update_or_create(host=WORST_CASE_HOST, defaults={"fabrique": fabrique, "is_primary": True})
    fabrique.perimeter.set(epcis)


def _aids(start: int, rng: random.Random, operators: list[int]) -> Iterator[object]:
    from accompaniment.catalogue.models import AidScheme
    from accompaniment.vocabulary import Situation, Stage

    stages = [value for value, _ in Stage.choices]
    situations = [value for value, _ in Situation.choices]
    kinds = [value for value, _ in AidScheme.Kind.choices]
    for number in range(start, AID_SCHEMES):
        topic = rng.choice(_TOPICS) if rng.random() > 0.1 else _TOPICS[0]
        who, what, place = rng.choice(_WHO), rng.choice(_WHAT), rng.choice(_PLACES)
        low = Decimal(rng.choice([0, 500, 1000, 2000, 5000]))
        high = low + Decimal(rng.choice([1000, 3000, 8000, 15000, 50000]))
        roll = rng.random()
        coverage = (
            AidScheme.Coverage.NATIONAL
            if roll < 0.10
            else AidScheme.Coverage.REGION
            if roll < 0.40
            else AidScheme.Coverage.DEPARTMENT
            if roll < 0.75
            else AidScheme.Coverage.EPCI
        )
        yield AidScheme(
            name=f"{topic.capitalize()} — {place} n° {number}",
            slug=f"{AID_PREFIX}{number}",
            kind=rng.choice(kinds),
            summary=f"{topic.capitalize()} pour les {who} {what}.",
            description=(
                f"Ce dispositif s'adresse aux {who} du secteur de {place}. Il permet {what}. "
                f"{rng.choice(_TOPICS).capitalize()} possible en complément, avec un accompagnement."
            ),
            amount_min=low if rng.random() > 0.3 else None,
            amount_max=high if rng.random() > 0.1 else None,
            coverage=coverage,
            stages=rng.sample(stages, rng.randint(1, 3)),
            situations=rng.sample(situations, rng.randint(0, 2)),
            requires_qpv_residence=rng.random() < 0.15,
            operator_id=rng.choice(operators) if operators and rng.random() < 0.5 else None,
        )


def ensure_catalogue() -> None:
    """The 50,000 aid schemes and 5,000 structures (idempotent: only what is missing)."""
    ensure_bench_fabrique()
    from accompaniment.catalogue.models import AidScheme, Offer, Structure
    from accompaniment.vocabulary import Audience, Stage
    from fabrique.models import Fabrique, Organisation

    rng = random.Random(20261122)
    fabrique = Fabrique.objects.get(slug=BENCH_SLUG)
    regions, departments, epcis = _bench_territory()
    ensure_worst_case_fabrique(epcis)
    worst_case = Fabrique.objects.get(slug=WORST_CASE_SLUG)

    existing = Structure.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if existing < STRUCTURES:
        networks = list(_NETWORK_WORDS)
        for start in range(existing, STRUCTURES, BATCH):
            numbers = range(start, min(start + BATCH, STRUCTURES))
            names = {n: f"{_NETWORK_WORDS[networks[n % len(networks)]]} {rng.choice(_PLACES)} n° {n}" for n in numbers}
            organisations = Organisation.objects.bulk_create(
                Organisation(name=names[n], kind=Organisation.Kind.SUPPORT_ACTOR) for n in numbers
            )
            Organisation.fabriques.through.objects.bulk_create(
                Organisation.fabriques.through(organisation_id=o.pk, fabrique_id=fabrique.pk) for o in organisations
            )
            structures = Structure.objects.bulk_create(
                Structure(
                    organisation=organisation,
                    name=names[n],
                    slug=f"{SLUG_PREFIX}structure-{n}",
                    network=networks[n % len(networks)],
                    description=(
                        f"Nous accompagnons les {rng.choice(_WHO)} {rng.choice(_WHAT)}, "
                        f"avec {rng.choice(_TOPICS)} et des ateliers collectifs à {rng.choice(_PLACES)}."
                    ),
                )
                for n, organisation in zip(numbers, organisations, strict=True)
            )
            themes = [value for value, _ in Offer.Theme.choices]
            stages = [value for value, _ in Stage.choices]
            audiences = [value for value, _ in Audience.choices]
            Offer.objects.bulk_create(
                Offer(
                    structure=structure,
                    title=f"Offre {index + 1} de {structure.name}",
                    theme=rng.choice(themes),
                    stages=rng.sample(stages, rng.randint(1, 3)),
                    audiences=rng.sample(audiences, rng.randint(1, 2)),
                )
                for structure in structures
                for index in range(2)
            )

    # The worst-case Fabrique is served by the same 5,000 structures.
    served = Organisation.fabriques.through.objects.filter(fabrique_id=worst_case.pk).count()
    if served < STRUCTURES:
        Organisation.fabriques.through.objects.bulk_create(
            (
                Organisation.fabriques.through(organisation_id=pk, fabrique_id=worst_case.pk)
                for pk in Structure.objects.filter(slug__startswith=SLUG_PREFIX).values_list(
                    "organisation_id", flat=True
                )
            ),
            ignore_conflicts=True,
        )

    AidScheme.objects.filter(slug__startswith=f"{SLUG_PREFIX}aide-").exclude(slug__startswith=AID_PREFIX).delete()
    existing = AidScheme.objects.filter(slug__startswith=AID_PREFIX).count()
    if existing < AID_SCHEMES:
        operators = list(Structure.objects.filter(slug__startswith=SLUG_PREFIX).values_list("pk", flat=True)[:500])
        rng.seed(existing)
        pending: list[AidScheme] = []
        for aid in _aids(existing, rng, operators):
            pending.append(aid)  # type: ignore[arg-type]
            if len(pending) == BATCH:
                _save_aids(pending, regions, departments, epcis, rng)
                pending = []
        if pending:
            _save_aids(pending, regions, departments, epcis, rng)


def _save_aids(aids: list, regions: list[int], departments: list[int], epcis: list[int], rng: random.Random) -> None:
    from accompaniment.catalogue.models import AidScheme

    created = AidScheme.objects.bulk_create(aids)
    AidScheme.coverage_regions.through.objects.bulk_create(
        AidScheme.coverage_regions.through(aidscheme_id=a.pk, region_id=rng.choice(regions))
        for a in created
        if a.coverage == AidScheme.Coverage.REGION
    )
    AidScheme.coverage_departments.through.objects.bulk_create(
        AidScheme.coverage_departments.through(aidscheme_id=a.pk, department_id=rng.choice(departments))
        for a in created
        if a.coverage == AidScheme.Coverage.DEPARTMENT
    )
    AidScheme.coverage_epcis.through.objects.bulk_create(
        AidScheme.coverage_epcis.through(aidscheme_id=a.pk, epci_id=rng.choice(epcis))
        for a in created
        if a.coverage == AidScheme.Coverage.EPCI
    )


def results_sql() -> tuple[str, SqlParams]:
    """What the page would cost PostgreSQL alone: its 20 best-ranked visible results, in one query
    (without the facet counts, which cost more; the page itself reads them from the index)."""
    from django.contrib.postgres.search import SearchQuery, SearchRank
    from django.db.models import F

    from accompaniment.catalogue.models import SEARCH_CONFIG
    from accompaniment.catalogue.selectors import aid_schemes_visible_in
    from fabrique.models import Fabrique

    fabrique = Fabrique.objects.get(slug=BENCH_SLUG)
    words = SearchQuery("pret honneur", config=SEARCH_CONFIG, search_type="websearch")
    ranked = (
        aid_schemes_visible_in(fabrique)
        .filter(search_vector=words)
        .annotate(rank=SearchRank(F("search_vector"), words))
        .order_by("-is_featured", "-rank", "name", "pk")
        .values_list("pk", flat=True)
    )
    return ranked[:20].query.sql_with_params()


SCENARIO = Scenario(
    name="catalogue_search",
    host=BENCH_HOST,
    paths=("/aides/?q=pret+honneur",),
    description=f"Aid search « pret honneur » among {AID_SCHEMES} aid schemes",
    expect_text="aides",
    setup=ensure_catalogue,
    sql_baseline=results_sql,
    p95_target_ms=100,
)
