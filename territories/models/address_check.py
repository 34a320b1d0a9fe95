"""Whether an address lies in a QPV: verified by geocoding, or declared until it can be.

Knows nothing of who lives there: the holder's profile (accompaniment) points to its check.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from territories.models.geography import QPV, Commune


class AddressCheckQuerySet(models.QuerySet["AddressCheck"]):
    def awaiting_verification(self) -> AddressCheckQuerySet:
        return self.filter(status=AddressCheck.Status.DECLARED)


class AddressCheck(models.Model):
    class Status(models.TextChoices):
        VERIFIED = "verified", _("Vérifié")
        DECLARED = "declared", _("Déclaré, en attente de vérification")
        NOT_FOUND = "not_found", _("Adresse introuvable")

    class Source(models.TextChoices):
        BAN = "ban", _("Base Adresse Nationale")
        COORDINATES = "coordinates", _("Coordonnées")
        DECLARATION = "declaration", _("Déclaration de la personne")

    class Declared(models.TextChoices):
        QPV = "qpv", _("J'habite ce quartier prioritaire")
        NONE = "none", _("Je n'habite pas dans un quartier prioritaire")
        UNKNOWN = "unknown", _("Je ne sais pas")

    address = models.CharField(_("adresse"), max_length=300)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geocoding_score = models.FloatField(_("score du géocodage"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # The result: in_qpv is None while unknown.
    in_qpv = models.BooleanField(_("en QPV"), null=True, blank=True)
    qpv = models.ForeignKey(QPV, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    checked_at = models.DateTimeField(_("vérifié le"))
    # What the person said when the geocoder was unreachable, kept after verification.
    declared_answer = models.CharField(_("réponse déclarée"), max_length=8, choices=Declared.choices, blank=True)
    declared_qpv = models.ForeignKey(QPV, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    verification_attempts = models.PositiveSmallIntegerField(_("tentatives de vérification"), default=0)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)

    objects = AddressCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("vérification d'adresse")
        verbose_name_plural = _("vérifications d'adresse")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(in_qpv=True) | models.Q(qpv__isnull=False), name="address_in_qpv_names_it"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="declared") | ~models.Q(declared_answer=""),
                name="address_declared_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} — {self.get_status_display()}"
