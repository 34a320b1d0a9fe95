"""The tenant: a local Fabrique, its host names, perimeter and targets."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fabrique.colours import contrast_ratio
from fabrique.tenancy import TenantOwnedModel

HEX_COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
HEX_COLOUR = RegexValidator(HEX_COLOUR_PATTERN, _("Saisissez une couleur au format #RRGGBB."))
HOST_NAME = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
    _("Saisissez un nom d'hôte en minuscules, sans protocole ni port (ex. mel.fabrique-entreprendre.fr)."),
)
# White text on the primary colour must stay readable (WCAG 2.1 AA, normal text).
MIN_CONTRAST_WITH_WHITE = 4.5


class FabriqueQuerySet(models.QuerySet["Fabrique"]):
    def active(self) -> FabriqueQuerySet:
        return self.filter(is_active=True)

    def for_host(self, host: str) -> Fabrique | None:
        return self.filter(hosts__host=host.lower()).first()


class Fabrique(models.Model):
    """One local deployment of La Fabrique à entreprendre, on a perimeter of EPCI."""

    name = models.CharField(_("nom"), max_length=150, unique=True)
    short_name = models.CharField(_("nom court"), max_length=40, help_text=_("Affiché dans l'en-tête sur mobile."))
    slug = models.SlugField(_("identifiant"), max_length=50, unique=True)
    tagline = models.CharField(_("accroche"), max_length=200, blank=True)
    primary_colour = models.CharField(
        _("couleur principale"),
        max_length=7,
        default="#1f4e8c",
        validators=[HEX_COLOUR],
        help_text=_("Le texte blanc doit rester lisible sur cette couleur (contraste 4,5:1 au moins)."),
    )
    logo = models.ImageField(_("logo"), upload_to="fabriques/logos/", blank=True)
    perimeter = models.ManyToManyField(
        "territories.EPCI", verbose_name=_("périmètre (EPCI)"), related_name="+", blank=True
    )
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = FabriqueQuerySet.as_manager()

    class Meta:
        verbose_name = _("Fabrique")
        verbose_name_plural = _("Fabriques")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.primary_colour and HEX_COLOUR_PATTERN.match(self.primary_colour):
            ratio = contrast_ratio(self.primary_colour, "#ffffff")
            if ratio < MIN_CONTRAST_WITH_WHITE:
                raise ValidationError(
                    {
                        "primary_colour": _(
                            "Contraste insuffisant avec le texte blanc (%(ratio).1f:1 pour 4,5:1 requis) : "
                            "choisissez une couleur plus foncée."
                        )
                        % {"ratio": ratio}
                    }
                )

    @property
    def primary_host(self) -> str | None:
        host = next((h for h in self.hosts.all() if h.is_primary), None)
        return host.host if host else None


class FabriqueHost(models.Model):
    """A host name that serves one Fabrique. A host belongs to one Fabrique only."""

    fabrique = models.ForeignKey(Fabrique, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(_("nom d'hôte"), max_length=253, unique=True, validators=[HOST_NAME])
    is_primary = models.BooleanField(_("adresse principale"), default=False)

    class Meta:
        verbose_name = _("nom d'hôte")
        verbose_name_plural = _("noms d'hôte")
        constraints = [
            models.UniqueConstraint(
                fields=["fabrique"], condition=models.Q(is_primary=True), name="one_primary_host_per_fabrique"
            ),
            models.CheckConstraint(condition=models.Q(host=models.functions.Lower("host")), name="host_is_lowercase"),
        ]

    def __str__(self) -> str:
        return self.host


class FabriqueTarget(TenantOwnedModel):
    """A target the Fabrique committed to with its funders, over a period."""

    class Indicator(models.TextChoices):
        HOLDERS_SUPPORTED = "holders_supported", _("Porteurs de projet accompagnés")
        CREATION_RATE = "creation_rate", _("Part des porteurs accompagnés jusqu'à la création (%)")
        BUSINESSES_CREATED = "businesses_created", _("Entreprises créées ou reprises")
        JOBS_CREATED = "jobs_created", _("Emplois créés")

    indicator = models.CharField(_("indicateur"), max_length=40, choices=Indicator.choices)
    value = models.DecimalField(_("valeur cible"), max_digits=10, decimal_places=2)
    starts_on = models.DateField(_("début de période"))
    ends_on = models.DateField(_("fin de période"))

    class Meta:
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        ordering = ["starts_on", "indicator"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="target_period_valid"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="target_value_positive"),
            models.UniqueConstraint(fields=["fabrique", "indicator", "starts_on"], name="one_target_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()} : {self.value}"
