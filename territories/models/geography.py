"""Official geography: regions, departments, EPCI, communes and priority neighbourhoods (QPV).

Loaded from the official open data shipped in `territories/data/` by `manage.py
load_geography`; codes are strings (leading zeros, Corsica's 2A/2B).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EPCI(models.Model):
    """Intercommunality with its own tax regime (métropole, CU, CA, CC)."""

    class Nature(models.TextChoices):
        METRO = "METRO", _("Métropole")
        CU = "CU", _("Communauté urbaine")
        CA = "CA", _("Communauté d'agglomération")
        CC = "CC", _("Communauté de communes")

    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^\d{9}$", _("Un SIREN compte 9 chiffres."))],
    )
    name = models.CharField(_("nom"), max_length=200)
    nature = models.CharField(_("nature"), max_length=5, choices=Nature.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="epcis", null=True, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), null=True, blank=True)

    class Meta:
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommuneQuerySet(models.QuerySet["Commune"]):
    def in_epcis(self, epci_ids: Iterable[int]) -> CommuneQuerySet:
        return self.filter(epci_id__in=list(epci_ids))


class Commune(models.Model):
    insee = models.CharField(_("code INSEE"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="communes")
    epci = models.ForeignKey(EPCI, on_delete=models.PROTECT, related_name="communes", null=True, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # A point inside the commune (its centroid, or a point guaranteed inside it).
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    postal_codes = ArrayField(models.CharField(max_length=5), verbose_name=_("codes postaux"), default=list)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        indexes = [GinIndex(fields=["postal_codes"], name="commune_postal_codes_gin")]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee})"


class QPVQuerySet(models.QuerySet["QPV"]):
    def in_epcis(self, epci_ids: Iterable[int]) -> QPVQuerySet:
        return self.filter(epcis__in=list(epci_ids)).distinct()


class QPV(models.Model):
    """A priority neighbourhood of the city policy (quartier prioritaire de la politique de la ville)."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^Q[A-Z0-9]{7}$", _("Un code QPV ressemble à QN05969M."))],
    )
    name = models.CharField(_("nom"), max_length=200)
    generation = models.PositiveSmallIntegerField(_("géographie"), default=2024)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="qpvs")
    communes = models.ManyToManyField(Commune, related_name="qpvs", verbose_name=_("communes"))
    epcis = models.ManyToManyField(EPCI, related_name="qpvs", verbose_name=_("EPCI"))
    # GeoJSON MultiPolygon in WGS84 (PostGIS is not available in the embedded server).
    geometry = models.JSONField(_("contour"))
    # Bounding box, for cheap prefiltering and map framing.
    min_longitude = models.FloatField()
    min_latitude = models.FloatField()
    max_longitude = models.FloatField()
    max_latitude = models.FloatField()
    area_ha = models.FloatField(_("surface (ha)"), null=True, blank=True)

    objects = QPVQuerySet.as_manager()

    class Meta:
        verbose_name = _("quartier prioritaire (QPV)")
        verbose_name_plural = _("quartiers prioritaires (QPV)")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
