"""Official geography. Knows nothing of tenants, people or journeys.

Only the EPCI is here so far (a Fabrique's perimeter is a set of EPCI); regions,
departments, communes and QPV come with the geography loader.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
