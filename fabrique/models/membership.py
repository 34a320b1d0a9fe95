"""Organisations and memberships: one person can hold several roles, in several places.

A membership is user × organisation × role. Holders and territory staff belong to a
Fabrique directly; advisors and structure managers to a support actor's organisation,
which works for one or more Fabriques; funder staff to a funder, national or bound to
some Fabriques; platform admins to nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from fabrique.validators import validate_siret


class Role(models.TextChoices):
    HOLDER = "holder", _("Porteur de projet")
    ADVISOR = "advisor", _("Conseiller")
    STRUCTURE_MANAGER = "structure_manager", _("Responsable de structure")
    TERRITORY_STAFF = "territory_staff", _("Équipe du territoire")
    FUNDER_STAFF = "funder_staff", _("Financeur")
    ADMIN = "admin", _("Administrateur de la plateforme")


# Roles that see other people's data: two-factor authentication is required.
STAFF_ROLES = frozenset(Role) - {Role.HOLDER}


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SUPPORT_ACTOR = "support_actor", _("Acteur de l'accompagnement")
        TERRITORY = "territory", _("Collectivité")
        FUNDER = "funder", _("Financeur")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    fabriques = models.ManyToManyField(
        "fabrique.Fabrique", verbose_name=_("Fabriques"), related_name="organisations", blank=True
    )
    is_national = models.BooleanField(
        _("national"), default=False, help_text=_("Un financeur national voit les agrégats de toutes les Fabriques.")
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(is_national=False) | Q(kind="funder"), name="only_funders_are_national"),
        ]

    def __str__(self) -> str:
        return self.name


# Which of (fabrique, organisation) each role requires; the database enforces it.
_ROLE_SHAPES: dict[str, tuple[bool, bool]] = {
    Role.HOLDER: (True, False),
    Role.ADVISOR: (False, True),
    Role.STRUCTURE_MANAGER: (False, True),
    Role.TERRITORY_STAFF: (True, False),
    Role.FUNDER_STAFF: (False, True),
    Role.ADMIN: (False, False),
}
_ROLE_ORGANISATION_KIND = {
    Role.ADVISOR: Organisation.Kind.SUPPORT_ACTOR,
    Role.STRUCTURE_MANAGER: Organisation.Kind.SUPPORT_ACTOR,
    Role.FUNDER_STAFF: Organisation.Kind.FUNDER,
}


def _shape_condition() -> Q:
    condition = Q()
    for role, (with_fabrique, with_organisation) in _ROLE_SHAPES.items():
        condition |= Q(role=role, fabrique__isnull=not with_fabrique, organisation__isnull=not with_organisation)
    return condition


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)

    def staff(self) -> MembershipQuerySet:
        return self.filter(role__in=STAFF_ROLES)

    def for_fabrique(self, fabrique: models.Model) -> MembershipQuerySet:
        """Memberships that give a role in `fabrique` (directly or through an organisation)."""
        serves = Organisation.fabriques.through.objects.filter(
            organisation_id=OuterRef("organisation_id"), fabrique_id=fabrique.pk
        )
        return self.filter(Q(fabrique=fabrique) | Q(Exists(serves)) | Q(organisation__is_national=True))


class Membership(models.Model):
    user = models.ForeignKey("fabrique.User", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    fabrique = models.ForeignKey(
        "fabrique.Fabrique", on_delete=models.CASCADE, related_name="memberships", null=True, blank=True
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.CheckConstraint(condition=_shape_condition(), name="membership_shape_matches_role"),
            models.UniqueConstraint(
                fields=["user", "role", "fabrique", "organisation"],
                name="membership_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation or self.fabrique or _("plateforme")
        return f"{self.get_role_display()} — {where}"

    def clean(self) -> None:
        super().clean()
        with_fabrique, with_organisation = _ROLE_SHAPES[self.role]
        errors: dict[str, Any] = {}
        if with_fabrique and not self.fabrique_id:
            errors["fabrique"] = _("Ce rôle s'exerce dans une Fabrique : choisissez-la.")
        if not with_fabrique and self.fabrique_id:
            errors["fabrique"] = _("Ce rôle ne se rattache pas directement à une Fabrique.")
        if with_organisation and not self.organisation_id:
            errors["organisation"] = _("Ce rôle s'exerce dans une organisation : choisissez-la.")
        if not with_organisation and self.organisation_id:
            errors["organisation"] = _("Ce rôle ne se rattache pas à une organisation.")
        expected_kind = _ROLE_ORGANISATION_KIND.get(Role(self.role))
        if expected_kind and self.organisation and self.organisation.kind != expected_kind:
            errors["organisation"] = _("Ce rôle demande une organisation de type « %(kind)s ».") % {
                "kind": expected_kind.label
            }
        if errors:
            raise ValidationError(errors)
