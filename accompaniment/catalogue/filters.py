"""The filters of the public catalogue search (aid schemes, structures), with faceted counts.

One FilterSet per list; the GET parameters are short French words so that a search makes a
readable, shareable link: `/aides/?q=pret+honneur&etape=financing&nature=honour_loan`.

Each facet group (checkboxes or radios shown with a count beside each option) is turned into a
`Q` by `facet_conditions()`. The counts follow standard faceting: an option's count is the
number of results with this option *and every other group's current choices* (so ticking a
box in a group never empties the other options of that group). All the counts of a list are
computed in **one** SQL query: one conditional `COUNT(*) FILTER (WHERE …)` per option over the
results of the search box and the non-facet filters. The aid facets test integer and boolean
columns that PostgreSQL derives from the arrays (`AidScheme.stage_bits`…), several times cheaper
per row than array containment; each option's condition is compiled to SQL once per process
(building ~30 filtered aggregates with the ORM cost more Python time than the query itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from accompaniment.catalogue.models import SEARCH_CONFIG, AidScheme, Offer, Structure, choice_bit
from accompaniment.catalogue.selectors import coverage_reaches
from accompaniment.vocabulary import Audience, Situation, Stage
from fabrique.models import Fabrique
from territories.models import Commune

PUBLIC_QPV = "qpv"
PUBLIC_EVERYONE = "tous"
AID_PUBLIC_CHOICES = (
    (PUBLIC_QPV, _("Réservées aux habitants des quartiers prioritaires")),
    (PUBLIC_EVERYONE, _("Ouvertes à tous, sans condition")),
)
SORT_RELEVANCE = "pertinence"
AID_SORT_CHOICES = (
    (SORT_RELEVANCE, _("Pertinence")),
    ("nom", _("Nom (A à Z)")),
    ("montant", _("Montant maximum décroissant")),
    ("recent", _("Mises à jour récemment")),
)
STRUCTURE_SORT_CHOICES = (
    (SORT_RELEVANCE, _("Pertinence")),
    ("nom", _("Nom (A à Z)")),
    ("recent", _("Mises à jour récemment")),
)


class InseeCodeFilter(django_filters.CharFilter):
    field_class = forms.RegexField


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool
    id: str


@dataclass(frozen=True)
class Facet:
    name: str
    legend: str
    multiple: bool
    options: list[FacetOption]

    @property
    def has_selection(self) -> bool:
        return any(option.checked for option in self.options)


def _search_query(text: str) -> SearchQuery:
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


_option_sql_cache: dict[tuple[type, str, str], tuple[str, tuple[Any, ...]]] = {}


def _where_sql(model: type[Model], condition: Q) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of `condition` on `model`'s table (its columns named after the table)."""
    query = model._default_manager.filter(condition).query
    compiler = query.get_compiler(using=model._default_manager.db)
    sql, params = compiler.compile(query.where)
    return sql, tuple(params)


class CountedPaginator(Paginator):
    """A paginator told its count (by the facet query) instead of running its own COUNT."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # pre-fills the cached property


class FacetedFilterSet(django_filters.FilterSet):
    """Base of the catalogue lists: a search box, facet groups, other filters and a sort.

    Invalid values (`?montant_min=abc`, an unknown sort) are left out of the filtering and
    shown as the form's errors, in French: never a server error.
    """

    facet_names: ClassVar[tuple[str, ...]] = ()
    # The columns the option conditions read, by column name (the facet query selects only these).
    facet_columns: ClassVar[tuple[str, ...]] = ("id",)
    sort_choices: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def __init__(self, *args: Any, fabrique: Fabrique | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fabrique = fabrique

    # --------------------------------------------------------------- cleaned values
    @property
    def cleaned(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "", [], ())}

    @property
    def search_text(self) -> str:
        return str(self.cleaned.get("q", "")).strip()

    @property
    def active_count(self) -> int:
        """How many filters are applied (the search box and the sort are not filters)."""
        return sum(1 for name in self.cleaned if name not in ("q", "tri"))

    # --------------------------------------------------------------- the conditions
    def option_condition(self, name: str, value: str) -> Q:
        raise NotImplementedError

    def other_conditions(self) -> list[Q]:
        """The filters that are not facet groups (commune, amounts…)."""
        return []

    def facet_conditions(self) -> dict[str, Q]:
        conditions = {}
        for name in self.facet_names:
            value = self.cleaned.get(name)
            if not value:
                continue
            values = value if isinstance(value, list) else [value]
            condition = Q()
            for one in values:
                condition |= self.option_condition(name, one)
            conditions[name] = condition
        return conditions

    def base(self, queryset: QuerySet) -> QuerySet:
        """The queryset narrowed by the search box and the non-facet filters (facets not applied)."""
        if self.search_text:
            queryset = queryset.filter(search_vector=_search_query(self.search_text))
        for condition in self.other_conditions():
            queryset = queryset.filter(condition)
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = self.base(queryset)
        for condition in self.facet_conditions().values():
            queryset = queryset.filter(condition)
        return self.sort(queryset)

    def sort(self, queryset: QuerySet) -> QuerySet:
        choice = self.cleaned.get("tri") or SORT_RELEVANCE
        if choice == "nom":
            return queryset.order_by("name", "pk")
        if choice == "recent":
            return queryset.order_by("-updated_at", "pk")
        if self.search_text:
            rank = SearchRank(F("search_vector"), _search_query(self.search_text))
            return queryset.annotate(rank=rank).order_by("-is_featured", "-rank", "name", "pk")
        return queryset.order_by("-is_featured", "name", "pk")

    def option_sql(self, name: str, value: str) -> tuple[str, tuple[Any, ...]]:
        """`option_condition` as SQL, compiled once per process (it never depends on the request)."""
        key = (type(self), name, value)
        if key not in _option_sql_cache:
            _option_sql_cache[key] = _where_sql(self.queryset.model, self.option_condition(name, value))
        return _option_sql_cache[key]

    # --------------------------------------------------------------- the counts
    total: int | None = None

    def facets(self) -> list[Facet]:
        """Each facet group with its options and their counts: one SQL query in all.

        The same query counts the results (`total`), so the paginator need not count them again.
        """
        model = self.queryset.model
        table = model._meta.db_table
        selected = {name: self._selected(name) for name in self.facet_names}

        def group_sql(name: str) -> tuple[str, list[Any]]:
            parts = [self.option_sql(name, value) for value in selected[name]]
            return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]

        groups = {name: group_sql(name) for name in self.facet_names if selected[name]}

        def count_where(conditions: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
            if not conditions:
                return "COUNT(*)", []
            where = " AND ".join(sql for sql, _ in conditions)
            return f"COUNT(*) FILTER (WHERE {where})", [p for _, params in conditions for p in params]

        columns: list[str] = []
        params: list[Any] = []
        for name in self.facet_names:
            others = [condition for other, condition in groups.items() if other != name]
            for value, _label in self.filters[name].extra["choices"]:
                sql, option_params = self.option_sql(name, value)
                column, column_params = count_where([(sql, list(option_params)), *others])
                columns.append(column)
                params += column_params
        column, column_params = count_where(list(groups.values()))
        columns.append(column)
        params += column_params
        base_sql, base_params = self.base(self.queryset).order_by().values(*self.facet_columns).query.sql_with_params()
        # The base is aliased as the model's table: the compiled option conditions name it.
        sql = f'SELECT {", ".join(columns)} FROM ({base_sql}) AS "{table}"'
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(sql, [*params, *base_params])
            counts = list(cursor.fetchone())
        self.total = counts[-1]
        facets = []
        position = 0
        for name in self.facet_names:
            filter_ = self.filters[name]
            options = []
            for value, label in filter_.extra["choices"]:
                options.append(
                    FacetOption(
                        value=value,
                        label=str(label),
                        count=counts[position],
                        checked=value in selected[name],
                        id=f"id_{name}_{value}",
                    )
                )
                position += 1
            multiple = isinstance(filter_, django_filters.MultipleChoiceFilter)
            facets.append(Facet(name=name, legend=str(filter_.label), multiple=multiple, options=options))
        return facets

    def _selected(self, name: str) -> list[str]:
        value = self.cleaned.get(name) or []
        return value if isinstance(value, list) else [value]


def _search_box(label: Any) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label=label, method="no_op", widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"})
    )


def _facet(label: Any, choices: Any) -> django_filters.MultipleChoiceFilter:
    return django_filters.MultipleChoiceFilter(
        label=label, choices=choices, method="no_op", widget=forms.CheckboxSelectMultiple
    )


def _commune_filter() -> django_filters.CharFilter:
    return InseeCodeFilter(
        label=_("Code INSEE de la commune"),
        method="no_op",
        help_text=_("Par exemple 59512 pour Roubaix."),
        regex=r"^\d[\dAB]\d{3}$",
        error_messages={"invalid": _("Saisissez un code INSEE de commune (5 caractères, par exemple 59512).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--short"}),
    )


def _sort(choices: Any) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(label=_("Trier par"), choices=choices, method="no_op", empty_label=None)


class AidSchemeFilter(FacetedFilterSet):
    q = _search_box(_("Rechercher une aide"))
    etape = _facet(_("Étape du projet"), Stage.choices)
    nature = _facet(_("Nature de l'aide"), AidScheme.Kind.choices)
    public = django_filters.ChoiceFilter(
        label=_("Conditions"), choices=AID_PUBLIC_CHOICES, method="no_op", widget=forms.RadioSelect
    )
    situation = django_filters.ChoiceFilter(
        label=_("Ma situation"), choices=Situation.choices, method="no_op", widget=forms.RadioSelect
    )
    commune = _commune_filter()
    montant_min = django_filters.NumberFilter(
        label=_("Montant d'au moins (€)"), method="no_op", min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    montant_max = django_filters.NumberFilter(
        label=_("Montant d'au plus (€)"), method="no_op", min_value=Decimal(0), max_digits=12, decimal_places=2
    )
    tri = _sort(AID_SORT_CHOICES)

    facet_names = ("etape", "nature", "public", "situation")
    facet_columns = ("id", "kind", "stage_bits", "situation_bits", "requires_qpv_residence", "is_unconditioned")

    def no_op(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset  # filter_queryset applies everything (see FacetedFilterSet)

    def option_condition(self, name: str, value: str) -> Q:
        if name == "etape":  # stages holds it
            bit = choice_bit(Stage, value)
            return Q(Exact(F("stage_bits").bitand(bit), bit))
        if name == "nature":
            return Q(kind=value)
        if name == "public":
            if value == PUBLIC_QPV:
                return Q(requires_qpv_residence=True)
            return Q(is_unconditioned=True)
        if name == "situation":  # open to this situation: no condition on it, or this one listed
            bit = choice_bit(Situation, value)
            return Q(situation_bits=0) | Q(Exact(F("situation_bits").bitand(bit), bit))
        raise ValueError(name)

    def other_conditions(self) -> list[Q]:
        conditions = []
        cleaned = self.cleaned
        if "commune" in cleaned:
            epcis = Commune.objects.filter(insee=cleaned["commune"]).values("epci_id")
            fabriques = Fabrique.perimeter.through.objects.filter(epci_id__in=epcis).values("fabrique_id")
            conditions.append(coverage_reaches(epci_ids=epcis, fabrique_ids=fabriques))
        low, high = cleaned.get("montant_min"), cleaned.get("montant_max")
        if low is not None or high is not None:  # amounts known and the ranges overlap
            conditions.append(Q(amount_min__isnull=False) | Q(amount_max__isnull=False))
            if low is not None:
                conditions.append(Q(amount_max__gte=low) | Q(amount_max__isnull=True))  # no maximum: no cap
            if high is not None:
                conditions.append(Q(amount_min__lte=high) | Q(amount_min__isnull=True))  # no minimum: from 0
        return conditions

    def sort(self, queryset: QuerySet) -> QuerySet:
        if self.cleaned.get("tri") == "montant":
            return queryset.order_by(F("amount_max").desc(nulls_last=True), "name", "pk")
        return super().sort(queryset)


class StructureFilter(FacetedFilterSet):
    q = _search_box(_("Rechercher une structure"))
    reseau = _facet(_("Réseau"), Structure.Network.choices)
    theme = _facet(_("Ce qu'elle propose"), Offer.Theme.choices)
    etape = _facet(_("Étape du projet"), Stage.choices)
    public = _facet(_("Public"), Audience.choices)
    commune = _commune_filter()
    tri = _sort(STRUCTURE_SORT_CHOICES)

    facet_names = ("reseau", "theme", "etape", "public")
    facet_columns = ("id", "network")

    def no_op(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def option_condition(self, name: str, value: str) -> Q:
        if name == "reseau":
            return Q(network=value)
        # Uncorrelated subqueries: PostgreSQL hashes each one once for the whole result set.
        offers = Offer.objects.filter(is_active=True)
        if name == "theme":
            return Q(pk__in=offers.filter(theme=value).values("structure_id"))
        if name == "etape":
            return Q(pk__in=offers.filter(stages__contains=[value]).values("structure_id"))
        if name == "public":
            return Q(pk__in=offers.filter(audiences__contains=[value]).values("structure_id"))
        raise ValueError(name)

    def other_conditions(self) -> list[Q]:
        insee = self.cleaned.get("commune")
        if not insee:
            return []
        served = Structure.communes_served.through.objects.filter(commune__insee=insee).values("structure_id")
        return [Q(commune__insee=insee) | Q(pk__in=served)]
