"""The filters of the list of places (one FilterSet, GET parameters that make shareable URLs)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from territories.models import Commune, Place

IN_QPV_CHOICES = (("oui", _("Dans un quartier prioritaire")), ("non", _("Hors quartier prioritaire")))


class PlaceFilter(django_filters.FilterSet):
    """Filters on type, commune (by INSEE code), QPV or not, and label status.

    The parameter names are short French words so that a filtered list makes a readable link:
    `/lieux/?type=resource_space&commune=59350&qpv=oui`.
    """

    type = django_filters.ChoiceFilter(
        field_name="kind", label=_("Type de lieu"), choices=Place.Kind.choices, empty_label=_("Tous les types")
    )
    commune = django_filters.ModelChoiceFilter(
        queryset=Commune.objects.none(),
        to_field_name="insee",
        label=_("Commune"),
        empty_label=_("Toutes les communes"),
    )
    qpv = django_filters.ChoiceFilter(
        label=_("Quartier prioritaire (QPV)"),
        choices=IN_QPV_CHOICES,
        empty_label=_("Dans un QPV ou non"),
        method="filter_in_qpv",
    )
    label = django_filters.ChoiceFilter(
        field_name="label_status",
        label=_("Label Fabrique à entreprendre"),
        choices=Place.LabelStatus.choices,
        empty_label=_("Tous les lieux"),
    )

    class Meta:
        model = Place
        fields: list[str] = []

    def __init__(self, *args: Any, communes: QuerySet[Commune], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the communes that have places: a choice never leads to an empty list.
        self.filters["commune"].queryset = communes

    def filter_in_qpv(self, queryset: QuerySet[Place], name: str, value: str) -> QuerySet[Place]:
        if value == "oui":
            return queryset.filter(qpv__isnull=False)
        if value == "non":
            return queryset.filter(qpv__isnull=True)
        return queryset

    @property
    def active_count(self) -> int:
        """How many filters are applied (valid and not empty)."""
        if not self.is_bound or not self.form.is_valid():
            return 0
        return sum(1 for value in self.form.cleaned_data.values() if value not in (None, ""))
