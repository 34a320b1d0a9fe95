"""The in-memory search index answers exactly what PostgreSQL answers.

Property tests over a varied catalogue: the words (PostgreSQL's own `@@` is the reference), the
facet counts, the totals and the order of the pages (plain ORM queries are the reference), for
many combinations of parameters.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Q
from django.http import QueryDict
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accompaniment.catalogue.filters import AidSchemeFilter, StructureFilter
from accompaniment.catalogue.indexes import AIDS, STRUCTURE_DOCUMENT_SQL, STRUCTURES, catalogue_indexes
from accompaniment.catalogue.models import SEARCH_CONFIG, AidScheme, CatalogueCuration, Offer, Structure
from accompaniment.catalogue.search import search_page, search_tsquery
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in
from accompaniment.catalogue.tsquery import And, Not, Or, Phrase, Term, TsqueryParseError, parse_tsquery
from accompaniment.catalogue.views.aids import AID_CARDS
from accompaniment.catalogue.views.structures import STRUCTURE_CARDS
from accompaniment.vocabulary import Audience, Situation, Stage
from tests.factories import (
    AidSchemeFactory,
    CommuneFactory,
    DepartmentFactory,
    EPCIFactory,
    OfferFactory,
    RegionFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

WORDS = [
    "prêt",
    "prêts",
    "honneur",
    "d'honneur",
    "microcrédit",
    "garantie",
    "bancaire",
    "subvention",
    "création",
    "créateurs",
    "reprise",
    "entreprise",
    "quartiers",
    "prioritaires",
    "jeunes",
    "femmes",
    "tiers-lieu",
    "auto-entrepreneur",
    "artisans",
    "commerce",
    "numérique",
    "Roubaix",
    "formation",
    "gestion",
    "le",
    "des",
]
SLOW = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


@pytest.fixture
def catalogue(fabrique, other_fabrique):
    """80 aids and 30 structures with varied words, facets, amounts, coverage and curation."""
    rng = random.Random(20261203)
    region = RegionFactory(code="97", name="Région de test")
    department = DepartmentFactory(code="971", name="Département de test", region=region)
    epci = EPCIFactory(siren="999910001", name="Métropole de test", department=department)
    other_epci = EPCIFactory(siren="999910002", name="Autre agglomération", department=department)
    fabrique.perimeter.add(epci, other_epci)
    CommuneFactory(insee="99901", name="Ici", department=department, epci=epci)
    CommuneFactory(insee="99902", name="Là", department=department, epci=other_epci)
    today = timezone.localdate()
    aids = []
    for number in range(80):
        amount_min = rng.choice([None, Decimal(500), Decimal(1000), Decimal(5000)])
        amount_max = rng.choice([None, Decimal(8000), Decimal(30000)])
        if amount_min is not None and amount_max is not None and amount_max < amount_min:
            amount_min, amount_max = amount_max, amount_min
        coverage = rng.choice([AidScheme.Coverage.NATIONAL] * 3 + [AidScheme.Coverage.EPCI])
        aid = AidSchemeFactory(
            name=f"{_text(rng, 1, 3)} {number}",
            summary=_text(rng, 0, 6),
            description=_text(rng, 0, 10),
            kind=rng.choice(AidScheme.Kind.values),
            stages=rng.sample(Stage.values, rng.randint(0, 3)),
            situations=rng.sample(Situation.values, rng.choice([0, 0, 1, 2])),
            requires_qpv_residence=rng.random() < 0.3,
            age_max=rng.choice([None, None, 30]),
            amount_min=amount_min,
            amount_max=amount_max,
            coverage=coverage,
            is_active=rng.random() > 0.05,
            closes_on=rng.choice([None] * 9 + [today - datetime.timedelta(days=1)]),
        )
        if coverage == AidScheme.Coverage.EPCI:
            aid.coverage_epcis.add(rng.choice([epci, other_epci]))
        AidScheme.objects.filter(pk=aid.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=number % 7))
        aids.append(aid)
    for aid in rng.sample(aids, 6):
        CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=aid, is_hidden=True)
    for aid in rng.sample([a for a in aids if not a.curations.exists()], 4):
        CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=aid, is_featured=True)
    for number in range(30):
        structure = StructureFactory(
            name=f"{_text(rng, 1, 2)} {number}",
            description=_text(rng, 0, 8),
            network=rng.choice(Structure.Network.values),
            fabriques=[fabrique] if rng.random() < 0.8 else [other_fabrique],
            is_active=rng.random() > 0.05,
        )
        for _ in range(rng.randint(0, 3)):
            OfferFactory(
                structure=structure,
                title=_text(rng, 1, 3),
                description=_text(rng, 0, 6),
                theme=rng.choice(Offer.Theme.values),
                stages=rng.sample(Stage.values, rng.randint(0, 2)),
                audiences=rng.sample(Audience.values, rng.randint(0, 2)),
                is_active=rng.random() > 0.1,
            )
    return fabrique


# ------------------------------------------------------------------ tsquery text form
@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("'pret' & 'honneur'", And(Term("pret"), Term("honneur"))),
        ("'a' | 'b' & 'c'", Or(Term("a"), And(Term("b"), Term("c")))),
        ("!'a' & 'b'", And(Not(Term("a")), Term("b"))),
        ("'pret' <2> 'honneur' | 'x'", Or(Phrase(Term("pret"), Term("honneur"), 2), Term("x"))),
        ("( 'a' | 'b' ) & 'c'", And(Or(Term("a"), Term("b")), Term("c"))),
        ("'it''s' & 'a\\\\b'", And(Term("it's"), Term("a\\b"))),
        ("'pre':*", Term("pre", "*")),
        ("", None),
    ],
)
def test_the_text_form_of_a_tsquery_is_parsed_with_postgresql_precedence(text, tree):
    assert parse_tsquery(text) == tree


@pytest.mark.parametrize("text", ["'a' &", "( 'a'", "'a' 'b'", "&", "'a' ) "])
def test_a_malformed_tsquery_is_refused(text):
    with pytest.raises(TsqueryParseError):
        parse_tsquery(text)


search_texts = st.lists(
    st.tuples(
        st.sampled_from(WORDS),
        st.sampled_from(["", "-", "or", "phrase"]),
        st.sampled_from(WORDS),
    ),
    min_size=1,
    max_size=3,
).map(
    lambda parts: " ".join(
        f'"{a} {b}"' if how == "phrase" else f"{a} or {b}" if how == "or" else f"{how}{a}" for a, how, b in parts
    )
)


@SLOW
@given(text=search_texts)
def test_words_match_what_postgresql_matches(catalogue, text):
    for kind, table, document in (
        (AIDS, "catalogue_aidscheme", "search_vector"),
        (STRUCTURES, "catalogue_structure", STRUCTURE_DOCUMENT_SQL),  # with its active offers
    ):
        index = catalogue_indexes().index(kind)
        found = set(index.ids[index.match_text(search_tsquery(text)).mask].tolist())
        assert found == _matching_in_sql(table, document, text), (kind, text, search_tsquery(text))


def _matching_in_sql(table: str, document: str, text: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE is_active AND ({document}) @@ websearch_to_tsquery(%s::regconfig, %s)",
            [SEARCH_CONFIG, text],
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_tsquery_postgresql_writes_for_the_search_box_is_read(catalogue):
    """The search box accepts anything; PostgreSQL's answer is always understood (or empty)."""
    for text in ["'\" & | ! :*", "a" * 300, "((", '"', "-", "or or", "l'état d'âme", "c++ & ; DROP", "😀 prêt"]:
        tsquery = search_tsquery(text)
        parse_tsquery(tsquery)  # no error
        index = catalogue_indexes().index(AIDS)
        expected = _matching_in_sql("catalogue_aidscheme", "search_vector", text)
        assert set(index.ids[index.match_text(tsquery).mask].tolist()) == expected


def test_a_tsquery_the_parser_does_not_know_is_answered_by_postgresql(fabrique, caplog, monkeypatch):
    """A text form a later PostgreSQL might write: the search still answers, from PostgreSQL."""
    loan = AidSchemeFactory(name="Prêt d'honneur")
    AidSchemeFactory(name="Subvention")
    index = catalogue_indexes().index(AIDS)

    def unknown(text):
        raise TsqueryParseError(text)

    monkeypatch.setattr("accompaniment.catalogue.facet_index.parse_tsquery", unknown)
    match = index.match_text("'pret' & 'honneur'")
    assert index.ids[match.mask].tolist() == [loan.pk]
    assert "tsquery not understood" in caplog.text


# ------------------------------------------------------------------ facets, totals, order
def _aid_option(name: str, value: str) -> Q:
    if name == "etape":
        return Q(stages__contains=[value])
    if name == "nature":
        return Q(kind=value)
    if name == "public":
        return Q(requires_qpv_residence=True) if value == "qpv" else Q(is_unconditioned=True)
    return Q(situations=[]) | Q(situations__contains=[value])


def _reference_aids(fabrique, params: dict) -> tuple[dict[str, dict[str, int]], list[int]]:
    """The old SQL search, written plainly: counts per option and the ordered results."""
    queryset = aid_schemes_visible_in(fabrique)
    if params.get("q"):
        queryset = queryset.filter(
            search_vector=SearchQuery(params["q"], config=SEARCH_CONFIG, search_type="websearch")
        )
    if params.get("commune"):
        from accompaniment.catalogue.selectors import coverage_reaches
        from fabrique.models import Fabrique
        from territories.models import Commune

        epcis = Commune.objects.filter(insee=params["commune"]).values("epci_id")
        fabriques = Fabrique.perimeter.through.objects.filter(epci_id__in=epcis).values("fabrique_id")
        queryset = queryset.filter(coverage_reaches(epci_ids=epcis, fabrique_ids=fabriques))
    low, high = params.get("montant_min"), params.get("montant_max")
    if low is not None or high is not None:
        queryset = queryset.filter(Q(amount_min__isnull=False) | Q(amount_max__isnull=False))
        if low is not None:
            queryset = queryset.filter(Q(amount_max__gte=low) | Q(amount_max__isnull=True))
        if high is not None:
            queryset = queryset.filter(Q(amount_min__lte=high) | Q(amount_min__isnull=True))
    groups = {}
    for name in AidSchemeFilter.facet_names:
        values = params.get(name) or []
        if values:
            condition = Q()
            for value in values:
                condition |= _aid_option(name, value)
            groups[name] = condition
    counts: dict[str, dict[str, int]] = {}
    for name in AidSchemeFilter.facet_names:
        others = queryset
        for other, condition in groups.items():
            if other != name:
                others = others.filter(condition)
        choices = AidSchemeFilter.base_filters[name].extra["choices"]
        counts[name] = {value: others.filter(_aid_option(name, value)).count() for value, _ in choices}
    results = queryset
    for condition in groups.values():
        results = results.filter(condition)
    sort = params.get("tri") or "pertinence"
    if sort == "nom":
        results = results.order_by("name", "pk")
    elif sort == "recent":
        results = results.order_by("-updated_at", "pk")
    elif sort == "montant":
        results = results.order_by(F("amount_max").desc(nulls_last=True), "name", "pk")
    else:
        results = results.order_by("-is_featured", "name", "pk")
    return counts, list(results.values_list("pk", flat=True))


def _query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value is None or value == []:
            continue
        query.setlist(key, [str(one) for one in value] if isinstance(value, list) else [str(value)])
    return query


aid_params = st.fixed_dictionaries(
    {
        "etape": st.lists(st.sampled_from(Stage.values), max_size=2, unique=True),
        "nature": st.lists(st.sampled_from(AidScheme.Kind.values), max_size=2, unique=True),
        "public": st.sampled_from([[], ["qpv"], ["tous"]]),
        "situation": st.sampled_from([[]] + [[value] for value in Situation.values]),
        "montant_min": st.sampled_from([None, 0, 1000, 6000, 20000]),
        "montant_max": st.sampled_from([None, 800, 5000, 50000]),
        "commune": st.sampled_from([None, "99901", "99902", "99999"]),
        "tri": st.sampled_from([None, "pertinence", "nom", "recent", "montant"]),
        "q": st.sampled_from([None, None, "prêt", "honneur création", "-garantie", "jeunes or femmes"]),
        "page": st.sampled_from([None, 2, 3]),
    }
)


@SLOW
@given(params=aid_params)
def test_aid_facets_totals_and_pages_agree_with_sql(catalogue, params):
    found = search_page(AIDS, AidSchemeFilter(_query(params)), catalogue, query=_query(params), cards=AID_CARDS)
    counts, ordered = _reference_aids(catalogue, params)
    assert {facet.name: {o.value: o.count for o in facet.options} for facet in found.facets} == counts
    assert found.page.paginator.count == len(ordered)
    page = found.page.number
    expected_page = ordered[(page - 1) * 20 : page * 20]
    if params["q"] and params["tri"] in (None, "pertinence"):
        assert set(found.page.object_list) <= set(ordered)  # ranked by relevance (tested below)
        assert len(found.page.object_list) == len(expected_page)
    else:
        assert list(found.page.object_list) == expected_page
    assert len(found.cards) == len(found.page.object_list)


def _structure_option(name: str, value: str) -> Q:
    if name == "reseau":
        return Q(network=value)
    offers = Offer.objects.filter(is_active=True)
    field = {"theme": "theme", "etape": "stages__contains", "public": "audiences__contains"}[name]
    wanted = value if name == "theme" else [value]
    return Q(pk__in=offers.filter(**{field: wanted}).values("structure_id"))


structure_params = st.fixed_dictionaries(
    {
        "reseau": st.lists(st.sampled_from(Structure.Network.values), max_size=3, unique=True),
        "theme": st.lists(st.sampled_from(Offer.Theme.values), max_size=2, unique=True),
        "etape": st.lists(st.sampled_from(Stage.values), max_size=1),
        "public": st.lists(st.sampled_from(Audience.values), max_size=1),
        "tri": st.sampled_from([None, "nom", "recent"]),
    }
)


@SLOW
@given(params=structure_params)
def test_structure_facets_totals_and_pages_agree_with_sql(catalogue, params):
    found = search_page(
        STRUCTURES, StructureFilter(_query(params)), catalogue, query=_query(params), cards=STRUCTURE_CARDS
    )
    queryset = structures_visible_in(catalogue)
    groups = {}
    for name in StructureFilter.facet_names:
        if params.get(name):
            condition = Q()
            for value in params[name]:
                condition |= _structure_option(name, value)
            groups[name] = condition
    for facet in found.facets:
        others = queryset
        for other, condition in groups.items():
            if other != facet.name:
                others = others.filter(condition)
        for option in facet.options:
            assert option.count == others.filter(_structure_option(facet.name, option.value)).count()
    results = queryset
    for condition in groups.values():
        results = results.filter(condition)
    order = {"nom": ("name", "pk"), "recent": ("-updated_at", "pk")}.get(params["tri"], ("-is_featured", "name", "pk"))
    assert list(found.page.object_list) == list(results.order_by(*order).values_list("pk", flat=True)[:20])


def test_relevance_puts_featured_first_then_name_hits_then_summary_then_description(fabrique):
    in_description = AidSchemeFactory(name="Aide A", summary="Rien.", description="Un microcrédit.")
    in_summary = AidSchemeFactory(name="Aide B", summary="Un microcrédit.")
    in_name = AidSchemeFactory(name="Microcrédit Z", summary="Rien.")
    in_name_and_summary = AidSchemeFactory(name="Microcrédit Y", summary="Le microcrédit.")
    featured = AidSchemeFactory(name="Aide C", description="Un microcrédit.")
    CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=featured, is_featured=True)
    AidSchemeFactory(name="Sans rapport")
    query = QueryDict("q=microcrédit")
    found = search_page(AIDS, AidSchemeFilter(query), fabrique, query=query, cards=AID_CARDS)
    assert list(found.page.object_list) == [
        featured.pk,
        in_name_and_summary.pk,
        in_name.pk,
        in_summary.pk,
        in_description.pk,
    ]


# ------------------------------------------------------------------ the index's own bounds
def test_postings_beyond_the_bound_are_read_again_when_needed(fabrique, django_assert_num_queries):
    for number in range(5):
        AidSchemeFactory(name=f"Prêt {number}", summary="Garantie et microcrédit.")
    index = catalogue_indexes().index(AIDS)
    index.text.max_postings = 6  # room for one word of 5 aids
    positions, _ = index.text.postings("pret")
    assert len(positions) == 5
    index.text.postings("garant")  # "pret" is dropped to make room
    with django_assert_num_queries(1):
        assert len(index.text.postings("pret")[0]) == 5
    with django_assert_num_queries(0):
        assert len(index.text.postings("pret")[0]) == 5


def test_an_aid_closing_today_is_gone_tomorrow(fabrique, monkeypatch):
    today = timezone.localdate()
    AidSchemeFactory(name="Jusqu'à ce soir", closes_on=today)
    index = catalogue_indexes().index(AIDS)
    assert np.count_nonzero(catalogue_indexes().portal(AIDS, fabrique).visible) == 1
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + datetime.timedelta(days=1))
    assert catalogue_indexes().index(AIDS) is not index  # a new day, a new index
    assert np.count_nonzero(catalogue_indexes().portal(AIDS, fabrique).visible) == 0


def test_ids_outside_the_index_have_no_position(fabrique):
    aid = AidSchemeFactory()
    index = catalogue_indexes().index(AIDS)
    assert index.positions_of(np.array([aid.pk, aid.pk + 1000, -1])).tolist() == [0, -1, -1]
    assert index.mask_of([]).tolist() == [False]
    assert index.mask_of([aid.pk + 1000]).tolist() == [False]
