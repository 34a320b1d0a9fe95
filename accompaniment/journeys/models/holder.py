"""A project holder's file in one Fabrique, and the structures that follow them.

One person, one file per Fabrique: a holder who signs up gets a file bound to their account;
an advisor may register someone who has no account yet (the file is bound when they sign up
with the same e-mail). Which structures may open the file is the `SupportLink` table: no link,
no access. The holder's consent to share with a structure is on the link.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from accompaniment.vocabulary import Situation
from fabrique.tenancy import TenantOwnedModel, TenantQuerySet

# Youngest age at which someone can be followed (apprentices start businesses at 16; a
# 14-year-old may come to an awareness workshop with a parent).
MIN_HOLDER_AGE = 14


def validate_birth_year(value: int) -> None:
    this_year = timezone.localdate().year
    if value > this_year:
        raise ValidationError(_g("L'année de naissance ne peut pas être dans le futur."), code="future")
    if value > this_year - MIN_HOLDER_AGE:
        raise ValidationError(
            _g("Un porteur de projet a au moins %(age)s ans.") % {"age": MIN_HOLDER_AGE}, code="too_young"
        )
    if value < 1900:
        raise ValidationError(_g("Vérifiez l'année de naissance (avant 1900)."), code="too_old")


class Gender(models.TextChoices):
    WOMAN = "woman", _("Femme")
    MAN = "man", _("Homme")
    OTHER = "other", _("Autre")


class EducationLevel(models.TextChoices):
    NONE = "none", _("Sans diplôme")
    CAP_BEP = "cap_bep", _("CAP, BEP")
    BAC = "bac", _("Baccalauréat")
    BAC_2 = "bac_2", _("Bac + 2")
    BAC_3 = "bac_3", _("Bac + 3 ou 4")
    BAC_5 = "bac_5", _("Bac + 5 et plus")


class HolderQuerySet(TenantQuerySet["Holder"]):
    def followed_by(self, organisation_ids: models.QuerySet | list[int]) -> HolderQuerySet:
        """Holders with a live link to one of these structures (organisation ids)."""
        links = SupportLink.objects.live().filter(organisation_id__in=organisation_ids)
        return self.filter(pk__in=links.values("holder_id"))

    def in_qpv(self) -> HolderQuerySet:
        return self.filter(lives_in_qpv=True)


class Holder(TenantOwnedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="holder_files"
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("année de naissance"), null=True, blank=True, validators=[validate_birth_year]
    )
    gender = models.CharField(_("genre"), max_length=8, choices=Gender.choices, blank=True)
    situation = models.CharField(_("situation"), max_length=20, choices=Situation.choices, blank=True)
    education_level = models.CharField(
        _("niveau de formation"), max_length=10, choices=EducationLevel.choices, blank=True
    )
    street_address = models.CharField(_("adresse"), max_length=250, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # QPV residence: from a verified address check when there is one, else as declared.
    address_check = models.ForeignKey(
        # A named reverse relation: the purge of old address checks must see this one.
        "territories.AddressCheck",
        on_delete=models.SET_NULL,
        related_name="holders",
        null=True,
        blank=True,
    )
    lives_in_qpv = models.BooleanField(_("habite un quartier prioritaire"), null=True, blank=True)
    qpv = models.ForeignKey("territories.QPV", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    contact_by_email = models.BooleanField(_("accepte d'être contacté par e-mail"), default=False)
    contact_by_sms = models.BooleanField(_("accepte d'être contacté par SMS"), default=False)
    registered_by = models.ForeignKey(
        "fabrique.Organisation",
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("inscrit par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)
    # Erased at the holder's request: identity and free text gone, anonymous statistics kept.
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True)

    objects: ClassVar[Any] = HolderQuerySet.as_manager()

    class Meta:
        verbose_name = _("porteur de projet")
        verbose_name_plural = _("porteurs de projet")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fabrique", "user"], condition=Q(user__isnull=False), name="one_holder_file_per_account"
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900), name="holder_birth_year_plausible"
            ),
        ]
        indexes = [
            models.Index(Lower("email"), "fabrique", name="holder_email_idx"),
            models.Index(Lower("last_name"), "birth_year", name="holder_name_birth_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class SupportLinkQuerySet(models.QuerySet["SupportLink"]):
    def live(self) -> SupportLinkQuerySet:
        return self.filter(ended_at__isnull=True)


class SupportLink(models.Model):
    """A structure follows a holder: the only thing that lets its advisors open the file."""

    class Origin(models.TextChoices):
        HOLDER = "holder", _("Demande du porteur")
        REGISTERED = "registered", _("Inscrit par la structure")
        REFERRAL = "referral", _("Orientation acceptée")
        APPOINTMENT = "appointment", _("Rendez-vous")

    holder = models.ForeignKey(Holder, on_delete=models.CASCADE, related_name="links")
    organisation = models.ForeignKey("fabrique.Organisation", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(_("origine"), max_length=12, choices=Origin.choices)
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("référent"),
    )
    # The holder agrees that this structure sees what the other structures share about them.
    shares_file = models.BooleanField(_("partage du dossier accepté"), default=False)
    consent_updated_at = models.DateTimeField(_("consentement mis à jour le"), null=True, blank=True)
    started_at = models.DateTimeField(_("suivi depuis le"), default=timezone.now)
    ended_at = models.DateTimeField(_("fin du suivi"), null=True, blank=True)

    objects = SupportLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("suivi par une structure")
        verbose_name_plural = _("suivis par une structure")
        constraints = [models.UniqueConstraint(fields=["holder", "organisation"], name="one_link_per_structure")]
        indexes = [models.Index(fields=["organisation", "holder"], name="link_by_structure_idx")]

    def __str__(self) -> str:
        return f"{self.holder} — {self.organisation}"
