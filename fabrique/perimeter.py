"""What lies in a Fabrique's perimeter: its communes, QPV and places (territories knows no tenant,
so the tenant side asks it through the perimeter's EPCI)."""

from __future__ import annotations

from django.db.models import QuerySet

from fabrique.models import Fabrique
from territories.models import QPV, Commune, Place


def _epci_ids(fabrique: Fabrique) -> QuerySet:
    return fabrique.perimeter.values_list("pk", flat=True)


def perimeter_communes(fabrique: Fabrique) -> QuerySet[Commune]:
    return Commune.objects.in_epcis(_epci_ids(fabrique)).order_by("name", "insee")


def perimeter_qpvs(fabrique: Fabrique) -> QuerySet[QPV]:
    return QPV.objects.in_epcis(_epci_ids(fabrique)).order_by("name", "code")


def perimeter_places(fabrique: Fabrique) -> QuerySet[Place]:
    """The active places of the perimeter, by name."""
    return Place.objects.active().in_epcis(_epci_ids(fabrique)).order_by("name")
