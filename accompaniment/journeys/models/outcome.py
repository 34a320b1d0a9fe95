"""Financing requests, the creation record and the post-creation checks (6 months to 3 years)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accompaniment.journeys.models.project import LegalForm
from fabrique.tenancy import TenantQuerySet
from fabrique.validators import validate_siret

# Months after the creation date at which the business is checked.
POST_CREATION_MILESTONES = (6, 12, 24, 36)


class FinancingRequestQuerySet(TenantQuerySet["FinancingRequest"]):
    fabrique_lookup = "project__holder__fabrique"


class FinancingRequest(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("En préparation")
        SUBMITTED = "submitted", _("Déposée, en attente du comité")
        GRANTED = "granted", _("Accordée")
        REFUSED = "refused", _("Refusée")
        WITHDRAWN = "withdrawn", _("Abandonnée")

    project = models.ForeignKey("journeys.Project", on_delete=models.CASCADE, related_name="financing_requests")
    organisation = models.ForeignKey("fabrique.Organisation", on_delete=models.PROTECT, related_name="+")
    aid_scheme = models.ForeignKey(
        "catalogue.AidScheme",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("dispositif"),
    )
    label = models.CharField(_("financement (hors catalogue)"), max_length=200, blank=True)
    amount_requested = models.DecimalField(_("montant demandé (€)"), max_digits=12, decimal_places=2)
    committee_on = models.DateField(_("date du comité"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PREPARING)
    amount_granted = models.DecimalField(
        _("montant accordé (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    bank_loan_leveraged = models.DecimalField(
        _("prêt bancaire obtenu grâce à ce financement (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_disbursed = models.DecimalField(
        _("montant décaissé (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    disbursed_on = models.DateField(_("décaissé le"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    objects = FinancingRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande de financement")
        verbose_name_plural = _("demandes de financement")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(aid_scheme__isnull=False) | ~Q(label=""), name="financing_names_its_aid"
            ),
            models.CheckConstraint(condition=Q(amount_requested__gt=0), name="financing_requested_positive"),
            models.CheckConstraint(
                condition=Q(amount_granted__isnull=True) | Q(status="granted"), name="financing_granted_when_granted"
            ),
            models.CheckConstraint(
                condition=(Q(amount_granted__isnull=True) | Q(amount_granted__gte=0))
                & (Q(bank_loan_leveraged__isnull=True) | Q(bank_loan_leveraged__gte=0))
                & (Q(amount_disbursed__isnull=True) | Q(amount_disbursed__lte=models.F("amount_granted"))),
                name="financing_amounts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.label or str(self.aid_scheme)


class CreationRecordQuerySet(TenantQuerySet["CreationRecord"]):
    fabrique_lookup = "project__holder__fabrique"


class CreationRecord(models.Model):
    project = models.OneToOneField("journeys.Project", on_delete=models.CASCADE, related_name="creation")
    siret = models.CharField(_("SIRET"), max_length=14, validators=[validate_siret])
    created_on = models.DateField(_("date de création ou de reprise"))
    legal_form = models.CharField(_("forme juridique"), max_length=12, choices=LegalForm.choices)
    jobs_at_creation = models.PositiveSmallIntegerField(_("emplois à la création"), help_text=_("Le créateur compris."))
    organisation = models.ForeignKey("fabrique.Organisation", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    objects = CreationRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("création d'entreprise")
        verbose_name_plural = _("créations d'entreprise")

    def __str__(self) -> str:
        return f"{self.project} — SIRET {self.siret}"

    @property
    def siren(self) -> str:
        return self.siret[:9]


class PostCreationCheckQuerySet(TenantQuerySet["PostCreationCheck"]):
    fabrique_lookup = "creation__project__holder__fabrique"

    def due(self, today: object) -> PostCreationCheckQuerySet:
        return self.filter(due_on__lte=today, done_at__isnull=True)


class PostCreationCheck(models.Model):
    creation = models.ForeignKey(CreationRecord, on_delete=models.CASCADE, related_name="checks")
    months_after = models.PositiveSmallIntegerField(_("mois après la création"))
    due_on = models.DateField(_("à faire le"))
    notified_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    is_active = models.BooleanField(_("entreprise en activité"), null=True, blank=True)
    jobs = models.PositiveSmallIntegerField(_("emplois"), null=True, blank=True)
    closed_on = models.DateField(_("cessation d'activité le"), null=True, blank=True)
    notes = models.TextField(_("observations"), blank=True)

    objects = PostCreationCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("point de suivi après création")
        verbose_name_plural = _("points de suivi après création")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["creation", "months_after"], name="one_check_per_milestone"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(is_active__isnull=False), name="check_done_says_if_active"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(is_active=False), name="check_closed_is_inactive"
            ),
        ]
        indexes = [models.Index(fields=["due_on"], condition=Q(done_at__isnull=True), name="check_due_idx")]

    def __str__(self) -> str:
        return f"{self.creation} — {self.months_after} mois"
