"""Referrals: one structure passes a holder to another for a need, with the holder's consent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fabrique.tenancy import TenantQuerySet


class ReferralQuerySet(TenantQuerySet["Referral"]):
    fabrique_lookup = "holder__fabrique"

    def pending(self) -> ReferralQuerySet:
        return self.filter(status=Referral.Status.PENDING)

    def involving(self, organisation_ids: models.QuerySet | list[int]) -> ReferralQuerySet:
        return self.filter(Q(from_organisation_id__in=organisation_ids) | Q(to_organisation_id__in=organisation_ids))


class Referral(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de réponse")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    class Need(models.TextChoices):
        INFORMATION = "information", _("Information, premier accueil")
        COACHING = "coaching", _("Accompagnement du projet")
        TRAINING = "training", _("Formation")
        FINANCING = "financing", _("Financement")
        HOSTING = "hosting", _("Hébergement, local")
        FORMALITIES = "formalities", _("Formalités de création")
        NETWORKING = "networking", _("Réseau, parrainage")
        OTHER = "other", _("Autre besoin")

    holder = models.ForeignKey("journeys.Holder", on_delete=models.CASCADE, related_name="referrals")
    project = models.ForeignKey(
        "journeys.Project", on_delete=models.SET_NULL, related_name="referrals", null=True, blank=True
    )
    from_organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("de")
    )
    to_organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("vers")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    need = models.CharField(_("besoin"), max_length=12, choices=Need.choices)
    message = models.TextField(_("message à la structure"), blank=True)
    holder_consented_at = models.DateTimeField(_("accord du porteur le"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    respond_by = models.DateField(_("réponse attendue avant le"))
    responded_at = models.DateTimeField(_("réponse le"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    response_reason = models.TextField(_("motif de la réponse"), blank=True)
    reminder_sent_at = models.DateTimeField(_("relance envoyée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("orientation")
        verbose_name_plural = _("orientations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_organisation=F("to_organisation")), name="referral_to_another_structure"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", responded_at__isnull=True) | ~Q(status="pending"),
                name="referral_pending_has_no_response",
            ),
            models.UniqueConstraint(
                fields=["holder", "to_organisation", "need"],
                condition=Q(status="pending"),
                name="one_pending_referral_per_need",
            ),
        ]
        indexes = [models.Index(fields=["to_organisation", "status"], name="referral_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.holder} → {self.to_organisation} ({self.get_need_display()})"
