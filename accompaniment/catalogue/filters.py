"""The filters of the public catalogue search (aid schemes, structures), with faceted counts.

One FilterSet per list; the GET parameters are short French words so that a search makes a
readable, shareable link: `/aides/?q=pret+honneur&etape=financing&nature=honour_loan`.

The FilterSets declare the parameters, validate them (French messages) and render the form;
the search runs on the in-memory index (`search.py`, `indexes.py`), where each facet option is
a mask of entries. The counts follow standard faceting: an option's count is the number of
results with this option *and every other group's current choices* (so ticking a box in a group
never empties the other options of that group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accompaniment.catalogue.models import AidScheme, Offer, Structure
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


# Facet options are rendered once per option and state with this in place of the count, then
# filled in for each search: forty options through the template engine cost more than the search.
COUNT_SLOT = "__facet_count__"
_option_pieces: dict[tuple[Any, ...], tuple[str, str]] = {}


def _pieces(template: str, **context: Any) -> tuple[str, str]:
    """The markup of `template` before and after the count (kept per context and language)."""
    key = (template, get_language(), *context.items())
    found = _option_pieces.get(key)
    if found is None:
        before, after = render_to_string(template, {**context, "count": COUNT_SLOT}).split(COUNT_SLOT)
        found = _option_pieces[key] = (before, after)
    return found


@dataclass(frozen=True)
class Facet:
    name: str
    legend: str
    multiple: bool
    options: list[FacetOption]

    @property
    def has_selection(self) -> bool:
        return any(option.checked for option in self.options)

    def _filled(self, template: str, *, with_input: bool) -> SafeString:
        parts: list[str] = []
        for option in self.options:
            context: dict[str, Any] = {"id": option.id}
            if with_input:
                context |= {
                    "name": self.name,
                    "value": option.value,
                    "label": option.label,
                    "checked": option.checked,
                    "multiple": self.multiple,
                }
            before, after = _pieces(template, **context)
            parts += (before, str(option.count), after)
        return mark_safe("".join(parts))

    @property
    def options_html(self) -> SafeString:
        return self._filled("catalogue/_facet_option.html", with_input=True)

    @property
    def counts_oob_html(self) -> SafeString:
        return self._filled("catalogue/_facet_count_oob.html", with_input=False)


_form_classes: dict[type, type[forms.Form]] = {}


class FacetedFilterSet(django_filters.FilterSet):
    """Base of the catalogue lists: a search box, facet groups, other filters and a sort.

    The FilterSet declares, validates and renders the parameters; the search itself runs on the
    in-memory index (`search.py`), never on `self.qs`. Invalid values (`?montant_min=abc`, an
    unknown sort) are left out of the search and shown as the form's errors, in French: never a
    server error.
    """

    facet_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, data: QueryDict | None = None, *, communes: Sequence[tuple[str, str]] | None = None) -> None:
        """`communes`: a Fabrique's communes as (INSEE code, label), offered as a list instead
        of the INSEE code field of the national portal."""
        # Not django-filter's constructor: it deep-copies every filter for the instance, so that
        # they can filter a queryset. These never do (the index searches): they share the class's.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = None
        self.request = None
        self.form_prefix = None
        self.filters = self.base_filters
        self.communes = communes

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            if self.communes is not None:
                form.fields["commune"] = forms.ChoiceField(
                    label=_("Commune"),
                    choices=[("", _("Toutes les communes du territoire")), *self.communes],
                    required=False,
                    error_messages={"invalid_choice": _("Choisissez une commune du territoire de la Fabrique.")},
                )
        return self._form

    @property
    def qs(self) -> QuerySet:
        raise NotImplementedError("The catalogue search runs on the index (search.py), not on a queryset.")

    def get_form_class(self) -> type[forms.Form]:
        """The form class, built once per FilterSet class (django-filter builds one per instance:
        a third of a search's Python time)."""
        form_class = _form_classes.get(type(self))
        if form_class is None:
            form_class = _form_classes[type(self)] = super().get_form_class()
        return form_class

    def no_op(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset  # declared for the form only (see the class docstring)

    @cached_property
    def cleaned(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.form.is_valid()
        return {name: value for name, value in self.form.cleaned_data.items() if value not in (None, "", [], ())}

    @property
    def search_text(self) -> str:
        return str(self.cleaned.get("q", "")).strip()

    @property
    def sort_choice(self) -> str:
        return str(self.cleaned.get("tri") or SORT_RELEVANCE)

    @property
    def active_count(self) -> int:
        """How many filters are applied (the search box and the sort are not filters)."""
        return sum(1 for name in self.cleaned if name not in ("q", "tri"))

    def commune_condition(self) -> Q | None:
        """The entries the chosen commune keeps, as SQL (None: no commune chosen)."""
        return None

    def selected(self) -> dict[str, list[str]]:
        """The chosen options of each facet group."""
        chosen = {}
        for name in self.facet_names:
            value = self.cleaned.get(name) or []
            chosen[name] = [str(one) for one in value] if isinstance(value, list) else [str(value)]
        return chosen

    def facets(self, counts: dict[str, dict[str, int]]) -> list[Facet]:
        """The facet groups as the form shows them, with `counts` beside each option."""
        chosen = self.selected()
        facets = []
        for name in self.facet_names:
            filter_ = self.filters[name]
            options = [
                FacetOption(
                    value=value,
                    label=str(label),
                    count=counts[name][value],
                    checked=value in chosen[name],
                    id=f"id_{name}_{value}",
                )
                for value, label in filter_.extra["choices"]
            ]
            multiple = isinstance(filter_, django_filters.MultipleChoiceFilter)
            facets.append(Facet(name=name, legend=str(filter_.label), multiple=multiple, options=options))
        return facets


SEARCH_TEXT_MAX_LENGTH = 200  # a few dozen words: what a person types, and a bound on the work


def _search_box(label: Any) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label=label,
        method="no_op",
        max_length=SEARCH_TEXT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"}),
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

    def commune_condition(self) -> Q | None:
        """Aids whose coverage reaches the chosen commune (its EPCI, department, region, Fabrique)."""
        insee = self.cleaned.get("commune")
        if not insee:
            return None
        epcis = Commune.objects.filter(insee=insee).values("epci_id")
        fabriques = Fabrique.perimeter.through.objects.filter(epci_id__in=epcis).values("fabrique_id")
        return coverage_reaches(epci_ids=epcis, fabrique_ids=fabriques)


class StructureFilter(FacetedFilterSet):
    q = _search_box(_("Rechercher une structure"))
    reseau = _facet(_("Réseau"), Structure.Network.choices)
    theme = _facet(_("Ce qu'elle propose"), Offer.Theme.choices)
    etape = _facet(_("Étape du projet"), Stage.choices)
    public = _facet(_("Public"), Audience.choices)
    commune = _commune_filter()
    tri = _sort(STRUCTURE_SORT_CHOICES)

    facet_names = ("reseau", "theme", "etape", "public")

    def commune_condition(self) -> Q | None:
        """Structures located in the chosen commune or serving it."""
        insee = self.cleaned.get("commune")
        if not insee:
            return None
        served = Structure.communes_served.through.objects.filter(commune__insee=insee).values("structure_id")
        return Q(commune__insee=insee) | Q(pk__in=served)
