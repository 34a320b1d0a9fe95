"""Follow-ups: what an advisor did with a holder (interview, workshop, call, committee...)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fabrique.tenancy import TenantQuerySet


class FollowUpQuerySet(TenantQuerySet["FollowUp"]):
    fabrique_lookup = "holder__fabrique"

    def next_step_overdue(self, today: object) -> FollowUpQuerySet:
        return self.filter(next_step_due__lt=today, next_step_done_at__isnull=True)


class FollowUp(models.Model):
    class Kind(models.TextChoices):
        INTERVIEW = "interview", _("Entretien individuel")
        WORKSHOP = "workshop", _("Atelier collectif")
        PHONE = "phone", _("Appel téléphonique")
        VIDEO = "video", _("Entretien en visio")
        COMMITTEE = "committee", _("Comité de financement")
        POST_CREATION = "post_creation", _("Point de suivi après création")
        OTHER = "other", _("Autre action")

    holder = models.ForeignKey("journeys.Holder", on_delete=models.CASCADE, related_name="follow_ups")
    project = models.ForeignKey(
        "journeys.Project", on_delete=models.SET_NULL, related_name="follow_ups", null=True, blank=True
    )
    organisation = models.ForeignKey("fabrique.Organisation", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("type d'action"), max_length=16, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), null=True, blank=True)
    place = models.ForeignKey(
        "territories.Place", on_delete=models.SET_NULL, related_name="+", null=True, blank=True, verbose_name=_("lieu")
    )
    summary = models.TextField(_("compte rendu"), blank=True)
    next_step = models.CharField(_("prochaine étape"), max_length=300, blank=True)
    next_step_due = models.DateField(_("échéance de la prochaine étape"), null=True, blank=True)
    next_step_done_at = models.DateTimeField(_("prochaine étape faite le"), null=True, blank=True)
    # Private to the author's structure unless shared (and the holder agreed to sharing).
    is_shared = models.BooleanField(_("partagé avec les autres structures du porteur"), default=False)
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("action d'accompagnement")
        verbose_name_plural = _("actions d'accompagnement")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["holder", "occurred_on"], name="followup_holder_date_idx"),
            models.Index(fields=["organisation", "holder", "occurred_on"], name="followup_structure_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | ~Q(next_step=""), name="followup_due_needs_next_step"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60),
                name="followup_duration_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.occurred_on}"
