"""Physical places where project holders are welcomed (lieux totems, espaces ressources...).

Which structures hold permanences at a place belongs to the catalogue (accompaniment):
a place does not know who comes there.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from territories.models.geography import QPV, Commune


class PlaceQuerySet(models.QuerySet["Place"]):
    def active(self) -> PlaceQuerySet:
        return self.filter(is_active=True)

    def in_epcis(self, epci_ids: Iterable[int]) -> PlaceQuerySet:
        return self.filter(commune__epci_id__in=list(epci_ids))


class Place(models.Model):
    class Kind(models.TextChoices):
        LIEU_TOTEM = "lieu_totem", _("Lieu totem")
        RESOURCE_SPACE = "resource_space", _("Espace ressource")
        ENTREPRENEURSHIP_HOUSE = "entrepreneurship_house", _("Maison de l'entrepreneuriat")
        PERMANENCE_SITE = "permanence_site", _("Lieu de permanence")
        THIRD_PLACE = "third_place", _("Tiers-lieu")
        LOCAL_MANUFACTURE = "local_manufacture", _("Manufacture de proximité")

    class LabelStatus(models.TextChoices):
        NONE = "none", _("Non labellisé")
        CANDIDATE = "candidate", _("Candidat au label")
        LABELLED = "labelled", _("Labellisé")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    kind = models.CharField(_("type de lieu"), max_length=30, choices=Kind.choices)
    description = models.TextField(_("présentation"), blank=True)
    street_address = models.CharField(_("adresse"), max_length=250)
    postal_code = models.CharField(_("code postal"), max_length=5)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="places")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # Derived from the coordinates by point-in-polygon (see territories.qpv_lookup).
    qpv = models.ForeignKey(
        QPV, on_delete=models.SET_NULL, related_name="places", null=True, blank=True, verbose_name=_("QPV")
    )
    opening_hours = models.TextField(_("horaires d'ouverture"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    step_free_access = models.BooleanField(_("accès de plain-pied ou par ascenseur"), null=True, blank=True)
    accessible_toilets = models.BooleanField(_("toilettes accessibles"), null=True, blank=True)
    accessibility_notes = models.TextField(_("informations d'accessibilité"), blank=True)
    label_status = models.CharField(_("label"), max_length=10, choices=LabelStatus.choices, default=LabelStatus.NONE)
    labelled_on = models.DateField(_("labellisé le"), null=True, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(label_status="labelled") | models.Q(labelled_on__isnull=True),
                name="place_label_date_only_when_labelled",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__range=(-90, 90), longitude__range=(-180, 180)),
                name="place_coordinates_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
