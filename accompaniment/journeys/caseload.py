"""The advisors' caseload: the holders a user may see, with what they need to know, in SQL.

`caseload_queryset` annotates each holder with correlated subqueries (last contact, next
step due, referent, stage entry date) and prefetches the projects: a page costs the same
number of queries whatever its size. `CaseloadFilterSet` filters and sorts it; invalid
values become the form's French errors and are left out, never a server error.

"Last contact", "next step" and "referent" are those of the viewer's structures; for
territory staff (no structure), those of any structure following the holder.
"""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accompaniment.journeys.access import ADVISOR_ROLES
from accompaniment.journeys.models import FollowUp, Holder, JourneyState, Project, SupportLink
from accompaniment.journeys.models.project import EXITS
from fabrique.models import Fabrique, Membership, Organisation, User
from territories.models import Place

PAGE_SIZE = 25

QPV_CHOICES = (("oui", _("Habite un quartier prioritaire")), ("non", _("N'habite pas un quartier prioritaire")))
SORT_CHOICES = (
    ("nom", _("Nom (A à Z)")),
    ("contact_recent", _("Dernier contact, le plus récent d'abord")),
    ("contact_ancien", _("Dernier contact, le plus ancien d'abord")),
    ("etape_ancienne", _("À l'étape depuis le plus longtemps")),
    ("etape_recente", _("Arrivé à l'étape le plus récemment")),
)
ORDERINGS: dict[str, list[Any]] = {
    "nom": ["last_name", "first_name", "pk"],
    "contact_recent": [F("last_contact").desc(nulls_last=True), "last_name", "pk"],
    "contact_ancien": [F("last_contact").asc(nulls_first=True), "last_name", "pk"],
    "etape_ancienne": [F("stage_entered_at").asc(nulls_last=True), "last_name", "pk"],
    "etape_recente": [F("stage_entered_at").desc(nulls_last=True), "last_name", "pk"],
}


def _by(queryset: QuerySet, organisation_ids: list[int] | None) -> QuerySet:
    """Rows of the viewer's structures (any structure when `organisation_ids` is None)."""
    return queryset if organisation_ids is None else queryset.filter(organisation_id__in=organisation_ids)


def open_next_steps(organisation_ids: list[int] | None) -> QuerySet[FollowUp]:
    steps = FollowUp.objects.filter(
        holder_id=OuterRef("pk"), next_step_due__isnull=False, next_step_done_at__isnull=True
    )
    return _by(steps, organisation_ids)


def caseload_queryset(holders: QuerySet[Holder], organisation_ids: list[int] | None) -> QuerySet[Holder]:
    """`holders` with the caseload's columns; `organisation_ids` as in the module docstring."""
    contacts = _by(FollowUp.objects.filter(holder_id=OuterRef("pk")), organisation_ids).order_by("-occurred_on")
    steps = open_next_steps(organisation_ids).order_by("next_step_due", "pk")
    referents = (
        _by(SupportLink.objects.live().filter(holder_id=OuterRef("pk"), referent__isnull=False), organisation_ids)
        .order_by("started_at", "pk")
        .annotate(
            referent_name=Coalesce(
                NullIf(Trim(Concat("referent__first_name", Value(" "), "referent__last_name")), Value("")),
                "referent__email",
                output_field=CharField(),
            )
        )
    )
    stage_entries = (
        Project.objects.filter(holder_id=OuterRef("pk"))
        .exclude(state__in=EXITS)
        .order_by("-state_entered_at")
        .values("state_entered_at")[:1]
    )
    projects = Project.objects.only("pk", "holder_id", "title", "state", "state_entered_at").order_by(
        "-state_entered_at", "pk"
    )
    return (
        holders.select_related("commune", "qpv")
        .only(
            "pk",
            "first_name",
            "last_name",
            "email",
            "lives_in_qpv",
            "commune__name",
            "qpv__name",
            "qpv__code",
        )
        .annotate(
            last_contact=Subquery(contacts.values("occurred_on")[:1]),
            next_step_due=Subquery(steps.values("next_step_due")[:1]),
            next_step=Subquery(steps.values("next_step")[:1]),
            referent_name=Subquery(referents.values("referent_name")[:1]),
            stage_entered_at=Subquery(stage_entries),
        )
        .prefetch_related(Prefetch("projects", queryset=projects, to_attr="project_list"))
    )


class CaseloadFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Nom, prénom ou e-mail"),
        method="filter_search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    etape = django_filters.ChoiceFilter(
        label=_("Étape d'un projet"), choices=JourneyState.choices, method="filter_stage", empty_label=_("Toutes")
    )
    qpv = django_filters.ChoiceFilter(
        label=_("Quartier prioritaire"), choices=QPV_CHOICES, method="filter_qpv", empty_label=_("Tous")
    )
    lieu = django_filters.ModelChoiceFilter(
        label=_("Lieu des actions"), queryset=Place.objects.none(), method="filter_place", empty_label=_("Tous")
    )
    referent = django_filters.ModelChoiceFilter(
        label=_("Référent"), queryset=User.objects.none(), method="filter_referent", empty_label=_("Tous")
    )
    sans_contact_depuis = django_filters.NumberFilter(
        label=_("Sans contact depuis plus de (jours)"),
        method="filter_no_contact_since",
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 3650}),
    )
    en_retard = django_filters.BooleanFilter(
        label=_("Prochaine étape en retard"), method="filter_overdue", widget=forms.CheckboxInput
    )
    tri = django_filters.ChoiceFilter(label=_("Trier par"), choices=SORT_CHOICES, method="sort", empty_label=None)

    def __init__(
        self,
        *args: Any,
        fabrique: Fabrique,
        organisation_ids: list[int] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_ids = organisation_ids
        self.today = timezone.localdate()
        perimeter = fabrique.perimeter.values("pk")
        self.filters["lieu"].queryset = Place.objects.active().filter(commune__epci__in=perimeter).order_by("name")
        # Referents are the advisors of the viewer's structures (of every structure serving the
        # Fabrique for territory staff): a small list, cheaper than going through the links.
        structures: Any = (
            organisation_ids
            if organisation_ids is not None
            else Organisation.objects.filter(fabriques=fabrique).values("pk")
        )
        advisors = Membership.objects.active().filter(organisation__in=structures, role__in=ADVISOR_ROLES)
        self.filters["referent"].queryset = User.objects.filter(pk__in=advisors.values("user_id")).order_by(
            "last_name", "first_name", "email"
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("tri") if self.is_bound and self.form.is_valid() else None
        if not sort:  # `sort` applies the chosen order; here the default, or after an invalid choice
            queryset = queryset.order_by(*ORDERINGS["nom"])
        return queryset

    # ---------------------------------------------------------------------- filters
    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(last_name__unaccent__icontains=word)
                | Q(first_name__unaccent__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset

    def filter_stage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(Project.objects.filter(holder_id=OuterRef("pk"), state=value)))

    def filter_qpv(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "oui":
            return queryset.filter(lives_in_qpv=True)
        return queryset.exclude(lives_in_qpv=True)

    def filter_place(self, queryset: QuerySet, name: str, value: Place) -> QuerySet:
        followups = _by(FollowUp.objects.filter(holder_id=OuterRef("pk"), place=value), self.organisation_ids)
        return queryset.filter(Exists(followups))

    def filter_referent(self, queryset: QuerySet, name: str, value: User) -> QuerySet:
        links = SupportLink.objects.live().filter(holder_id=OuterRef("pk"), referent=value)
        return queryset.filter(Exists(_by(links, self.organisation_ids)))

    def filter_no_contact_since(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        limit = self.today - datetime.timedelta(days=int(value))
        return queryset.filter(Q(last_contact__lt=limit) | Q(last_contact__isnull=True))

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(next_step_due__lt=self.today)

    def sort(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*ORDERINGS.get(value, ORDERINGS["nom"]))
