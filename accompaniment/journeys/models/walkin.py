"""Walk-ins (accueil sans rendez-vous) at a place: who came, for what, where they were sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accompaniment.journeys.models.referral import Referral
from fabrique.tenancy import TenantOwnedModel


class WalkIn(TenantOwnedModel):
    place = models.ForeignKey("territories.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("lieu"))
    occurred_at = models.DateTimeField(_("le"), default=timezone.now)
    organisation = models.ForeignKey(
        "fabrique.Organisation", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True)
    # A known holder, or an anonymous count of visitors (a family, a group).
    holder = models.ForeignKey(
        "journeys.Holder", on_delete=models.SET_NULL, related_name="walk_ins", null=True, blank=True
    )
    visitors = models.PositiveSmallIntegerField(_("nombre de personnes"), default=1)
    reason = models.CharField(_("motif"), max_length=12, choices=Referral.Need.choices)
    oriented_to = models.ForeignKey(
        "fabrique.Organisation",
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("orienté vers"),
    )
    notes = models.CharField(_("remarque"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("accueil sans rendez-vous")
        verbose_name_plural = _("accueils sans rendez-vous")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(visitors__gte=1) & Q(visitors__lte=50), name="walkin_visitors_range"),
            models.CheckConstraint(condition=Q(holder__isnull=True) | Q(visitors=1), name="walkin_known_holder_is_one"),
        ]
        indexes = [models.Index(fields=["fabrique", "place", "occurred_at"], name="walkin_place_idx")]

    def __str__(self) -> str:
        return f"{self.place} — {self.occurred_at:%d/%m/%Y}"
