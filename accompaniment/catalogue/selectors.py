"""What the public catalogue shows on a portal: the aid schemes and structures visible in a Fabrique.

Every public list and detail page fetches its entries through these selectors, so that an entry
a Fabrique does not show (out of its territory, hidden by its curation) is a 404 there.

On the national portal (`fabrique is None`) the aid schemes shown are the **national** ones
only: an aid of a region, a department, an EPCI or a Fabrique means nothing to a visitor whose
territory the portal does not know, and each Fabrique's portal lists its local ones. The
structures are all the active ones (the national directory of support actors), to be narrowed
down by the commune they serve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from accompaniment.catalogue.models import AidScheme, CatalogueCuration, Structure
from fabrique.models import Fabrique, Organisation
from territories.models import EPCI, Commune, Department

if TYPE_CHECKING:
    import datetime


def _curations(fabrique: Fabrique, target: str, **flags: bool) -> QuerySet[CatalogueCuration]:
    return CatalogueCuration.objects.filter(fabrique_id=fabrique.pk, **{target: OuterRef("pk")}, **flags)


def _hidden(fabrique: Fabrique, target: str) -> QuerySet[CatalogueCuration]:
    """Ids the Fabrique hides: an uncorrelated subquery that PostgreSQL hashes once (a correlated
    NOT EXISTS probes the curation index once per catalogue row). No NULL in it, so NOT IN is safe."""
    return CatalogueCuration.objects.filter(
        fabrique_id=fabrique.pk, is_hidden=True, **{f"{target}__isnull": False}
    ).values(f"{target}_id")


def featured_in(fabrique: Fabrique | None, target: str) -> ExpressionWrapper | Value:
    """Annotation: the entry is featured by `fabrique` (`target`: "aid_scheme" or "structure").

    An uncorrelated `id IN (…)`, hashed once: the relevance sort reads it for every match.
    """
    if fabrique is None:
        return Value(False)
    featured = CatalogueCuration.objects.filter(
        fabrique_id=fabrique.pk, is_featured=True, **{f"{target}__isnull": False}
    ).values(f"{target}_id")
    return ExpressionWrapper(Q(pk__in=featured), output_field=BooleanField())


def coverage_reaches(*, epci_ids: QuerySet | list[int], fabrique_ids: QuerySet | list[int] | None = None) -> Q:
    """Aid schemes whose coverage intersects a set of EPCI (and, optionally, of Fabriques).

    Departments of the EPCI are taken from the EPCI itself and from their communes (an EPCI
    may span two departments); regions follow the departments. Every part is an uncorrelated
    `id IN (subquery)` that PostgreSQL hashes once per query: correlated EXISTS made it
    estimate millions of cost units (a handful of rows), which set off JIT compilation
    (1.7 s on 50,000 aids, measured on PostgreSQL 15) and bad plans downstream.
    """
    departments = Department.objects.filter(
        Q(pk__in=EPCI.objects.filter(pk__in=epci_ids).values("department_id"))
        | Q(pk__in=Commune.objects.filter(epci_id__in=epci_ids).values("department_id"))
    )
    condition = (
        Q(coverage=AidScheme.Coverage.NATIONAL)
        | Q(
            coverage=AidScheme.Coverage.EPCI,
            pk__in=AidScheme.coverage_epcis.through.objects.filter(epci_id__in=epci_ids).values("aidscheme_id"),
        )
        | Q(
            coverage=AidScheme.Coverage.DEPARTMENT,
            pk__in=AidScheme.coverage_departments.through.objects.filter(
                department_id__in=departments.values("pk")
            ).values("aidscheme_id"),
        )
        | Q(
            coverage=AidScheme.Coverage.REGION,
            pk__in=AidScheme.coverage_regions.through.objects.filter(
                region_id__in=departments.values("region_id")
            ).values("aidscheme_id"),
        )
    )
    if fabrique_ids is not None:
        condition |= Q(
            coverage=AidScheme.Coverage.FABRIQUE,
            pk__in=AidScheme.coverage_fabriques.through.objects.filter(fabrique_id__in=fabrique_ids).values(
                "aidscheme_id"
            ),
        )
    return condition


def open_on(day: datetime.date) -> Q:
    return (Q(opens_on__isnull=True) | Q(opens_on__lte=day)) & (Q(closes_on__isnull=True) | Q(closes_on__gte=day))


def aid_schemes_reaching(fabrique: Fabrique) -> QuerySet[AidScheme]:
    """Active aid schemes whose coverage reaches `fabrique`, whatever their dates and its curation."""
    perimeter = Fabrique.perimeter.through.objects.filter(fabrique_id=fabrique.pk).values("epci_id")
    return AidScheme.objects.filter(coverage_reaches(epci_ids=perimeter, fabrique_ids=[fabrique.pk]), is_active=True)


def structures_serving(fabrique: Fabrique) -> QuerySet[Structure]:
    """Active structures whose organisation serves `fabrique`, whatever its curation."""
    serves = Organisation.fabriques.through.objects.filter(
        organisation_id=OuterRef("organisation_id"), fabrique_id=fabrique.pk
    )
    return Structure.objects.filter(Exists(serves), is_active=True)


def with_curation(queryset: QuerySet[Any], fabrique: Fabrique, target: str) -> QuerySet[Any]:
    """Annotate `is_hidden` / `is_featured` for `fabrique` (target: "aid_scheme" or "structure")."""
    return queryset.annotate(
        is_hidden=Exists(_curations(fabrique, target, is_hidden=True)),
        is_featured=featured_in(fabrique, target),
    )


def aid_schemes_visible_in(fabrique: Fabrique | None) -> QuerySet[AidScheme]:
    """Active aid schemes open today whose coverage reaches `fabrique`, minus those it hides.

    Annotated with `is_featured` (the Fabrique features it). National portal: national aids only.
    """
    today = open_on(timezone.localdate())
    if fabrique is None:
        return AidScheme.objects.filter(today, is_active=True, coverage=AidScheme.Coverage.NATIONAL).annotate(
            is_featured=Value(False)
        )
    return (
        aid_schemes_reaching(fabrique)
        .filter(today)
        .exclude(pk__in=_hidden(fabrique, "aid_scheme"))
        .annotate(is_featured=featured_in(fabrique, "aid_scheme"))
    )


def structures_visible_in(fabrique: Fabrique | None) -> QuerySet[Structure]:
    """Active structures whose organisation serves `fabrique`, minus those it hides.

    Annotated with `is_featured`. National portal: every active structure.
    """
    if fabrique is None:
        return Structure.objects.filter(is_active=True).annotate(is_featured=Value(False))
    return (
        structures_serving(fabrique)
        .exclude(pk__in=_hidden(fabrique, "structure"))
        .annotate(is_featured=featured_in(fabrique, "structure"))
    )
