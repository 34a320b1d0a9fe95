"""The catalogue: support actors (structures), their offers and permanences, aid schemes.

Searchable in French: each searchable model has a generated `search_vector` column built
with the `french_unaccent` text search configuration (French stemming, accents ignored),
created by migration 0001.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, ExpressionWrapper, Q, Value, When
from django.db.models.expressions import Combinable, CombinedExpression
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from accompaniment.vocabulary import Audience, ProjectKind, Sector, Situation, Stage
from fabrique.tenancy import TenantOwnedModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SEARCH_CONFIG = "french_unaccent"


def _bits(field: str, base: type[models.TextChoices]) -> models.Expression:
    """An integer with bit i set when `field` (an array) holds the i-th choice of `base`.

    The facet counts test bits of an integer column: several times cheaper than array
    containment on tens of thousands of rows.
    """
    expression: models.Expression = Value(0)
    for index, value in enumerate(base.values):
        bit = Case(When(Q(**{f"{field}__contains": [value]}), then=Value(1 << index)), default=Value(0))
        expression = CombinedExpression(expression, Combinable.BITOR, bit)
    return expression


def choice_bit(base: type[models.TextChoices], value: str) -> int:
    """The bit of `value` in a column made by `_bits(…, base)`."""
    return 1 << list(base.values).index(value)


def _choices_array(base: type[models.TextChoices], verbose_name: StrOrPromise) -> ArrayField:
    return ArrayField(
        models.CharField(max_length=30, choices=base.choices), verbose_name=verbose_name, default=list, blank=True
    )


class Structure(models.Model):
    """A support actor (acteur de l'accompagnement). Its staff belong to its organisation."""

    class Network(models.TextChoices):
        BGE = "bge", _("BGE")
        INITIATIVE = "initiative", _("Initiative France")
        FRANCE_ACTIVE = "france_active", _("France Active")
        ADIE = "adie", _("Adie")
        CCI = "cci", _("CCI")
        CMA = "cma", _("CMA")
        CAE = "cae", _("Coopérative d'activité et d'emploi")
        INCUBATOR = "incubator", _("Incubateur")
        PTCE = "ptce", _("PTCE")
        EMPLOYMENT_HOUSE = "employment_house", _("Maison de l'emploi")
        MISSION_LOCALE = "mission_locale", _("Mission locale")
        FRANCE_TRAVAIL = "france_travail", _("France Travail")
        THIRD_PLACE = "third_place", _("Tiers-lieu ou manufacture de proximité")
        SPONSORSHIP = "sponsorship", _("Réseau de parrainage")
        FOUNDATION = "foundation", _("Fondation")
        OTHER = "other", _("Autre")

    # The organisation holds the staff memberships and the Fabriques served; its name
    # mirrors this one (kept in step by the catalogue services).
    organisation = models.OneToOneField("fabrique.Organisation", on_delete=models.PROTECT, related_name="structure")
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    network = models.CharField(_("réseau"), max_length=20, choices=Network.choices)
    description = models.TextField(_("présentation"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    website = models.URLField(_("site internet"), blank=True)
    street_address = models.CharField(_("adresse"), max_length=250, blank=True)
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    communes_served = models.ManyToManyField(
        "territories.Commune", verbose_name=_("communes couvertes"), related_name="+", blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        indexes = [GinIndex(fields=["search_vector"], name="structure_search_gin")]

    def __str__(self) -> str:
        return self.name


class Permanence(models.Model):
    """A structure receives holders at a place, on a schedule."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="permanences")
    place = models.ForeignKey("territories.Place", on_delete=models.CASCADE, related_name="+")
    schedule = models.CharField(_("jours et horaires"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("permanence")
        verbose_name_plural = _("permanences")
        constraints = [models.UniqueConstraint(fields=["structure", "place"], name="one_permanence_per_place")]

    def __str__(self) -> str:
        return f"{self.structure} — {self.place}"


class Offer(models.Model):
    """What a structure offers, at which stages, for whom, where."""

    class Theme(models.TextChoices):
        INFORMATION = "information", _("Information et orientation")
        COACHING = "coaching", _("Accompagnement individuel")
        TRAINING = "training", _("Formation et ateliers")
        FINANCING = "financing", _("Financement")
        HOSTING = "hosting", _("Hébergement et locaux")
        NETWORKING = "networking", _("Mise en réseau")
        SPONSORSHIP = "sponsorship", _("Parrainage")
        FORMALITIES = "formalities", _("Démarches et formalités")

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="offers")
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    theme = models.CharField(_("thème"), max_length=20, choices=Theme.choices)
    stages = _choices_array(Stage, _("étapes du parcours"))
    audiences = _choices_array(Audience, _("publics"))
    places = models.ManyToManyField("territories.Place", verbose_name=_("lieux"), related_name="+", blank=True)
    is_remote = models.BooleanField(_("à distance"), default=False)
    is_free = models.BooleanField(_("gratuit"), default=True)
    cost_details = models.CharField(_("coût"), max_length=200, blank=True)
    how_to_access = models.TextField(_("comment en bénéficier"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The structure search finds a structure by its active offers' words too (`indexes.py`).
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("offre de service")
        verbose_name_plural = _("offres de service")
        ordering = ["structure", "title"]
        indexes = [GinIndex(fields=["search_vector"], name="offer_search_gin")]

    def __str__(self) -> str:
        return self.title


class AidScheme(models.Model):
    """An aid scheme (dispositif): what it gives, who runs and funds it, where and for whom."""

    class Kind(models.TextChoices):
        HONOUR_LOAN = "honour_loan", _("Prêt d'honneur")
        MICRO_CREDIT = "micro_credit", _("Microcrédit")
        BANK_GUARANTEE = "bank_guarantee", _("Garantie bancaire")
        GRANT = "grant", _("Subvention")
        REPAYABLE_ADVANCE = "repayable_advance", _("Avance remboursable")
        CROWDFUNDING = "crowdfunding", _("Financement participatif")
        COMPETITION_PRIZE = "competition_prize", _("Prix de concours")
        HOSTING = "hosting", _("Hébergement")
        TRAINING = "training", _("Formation")
        STATUS_AID = "status_aid", _("Aide liée au statut (ACRE…)")

    class Coverage(models.TextChoices):
        NATIONAL = "national", _("France entière")
        REGION = "region", _("Région")
        DEPARTMENT = "department", _("Département")
        EPCI = "epci", _("Intercommunalité")
        FABRIQUE = "fabrique", _("Fabrique")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=140, unique=True)
    kind = models.CharField(_("nature de l'aide"), max_length=20, choices=Kind.choices)
    summary = models.CharField(_("en bref"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    amount_min = models.DecimalField(_("montant minimum (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_max = models.DecimalField(_("montant maximum (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rate_percent = models.DecimalField(_("taux (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    duration_months_max = models.PositiveSmallIntegerField(_("durée maximale (mois)"), null=True, blank=True)
    operator = models.ForeignKey(
        Structure,
        on_delete=models.SET_NULL,
        related_name="operated_aid_schemes",
        null=True,
        blank=True,
        verbose_name=_("structure opératrice"),
    )
    funders = models.ManyToManyField(
        "fabrique.Organisation", verbose_name=_("financeurs"), related_name="funded_aid_schemes", blank=True
    )
    coverage = models.CharField(_("couverture"), max_length=12, choices=Coverage.choices)
    coverage_regions = models.ManyToManyField("territories.Region", related_name="+", blank=True)
    coverage_departments = models.ManyToManyField("territories.Department", related_name="+", blank=True)
    coverage_epcis = models.ManyToManyField("territories.EPCI", related_name="+", blank=True)
    coverage_fabriques = models.ManyToManyField("fabrique.Fabrique", related_name="+", blank=True)
    stages = _choices_array(Stage, _("étapes du parcours"))
    project_kinds = _choices_array(ProjectKind, _("création ou reprise"))
    # Structured eligibility: an empty list or a null bound means "no condition".
    requires_qpv_residence = models.BooleanField(_("réservé aux habitants des QPV"), default=False)
    age_min = models.PositiveSmallIntegerField(_("âge minimum"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("âge maximum"), null=True, blank=True)
    situations = _choices_array(Situation, _("situations éligibles"))
    sectors = _choices_array(Sector, _("secteurs éligibles"))
    max_business_age_months = models.PositiveSmallIntegerField(
        _("âge maximal de l'entreprise (mois)"), null=True, blank=True
    )
    # Facet columns, derived by PostgreSQL (see `_bits`): what the catalogue search counts.
    stage_bits = models.GeneratedField(
        expression=_bits("stages", Stage), output_field=models.IntegerField(), db_persist=True
    )
    situation_bits = models.GeneratedField(
        expression=_bits("situations", Situation), output_field=models.IntegerField(), db_persist=True
    )
    is_unconditioned = models.GeneratedField(
        expression=ExpressionWrapper(
            Q(
                requires_qpv_residence=False,
                age_min__isnull=True,
                age_max__isnull=True,
                situations=[],
                sectors=[],
                max_business_age_months__isnull=True,
            ),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    opens_on = models.DateField(_("ouvert à partir du"), null=True, blank=True)
    closes_on = models.DateField(_("clôture le"), null=True, blank=True)
    source_url = models.URLField(_("source"), blank=True)
    checked_on = models.DateField(_("vérifié le"), null=True, blank=True)
    is_illustrative = models.BooleanField(
        _("montants indicatifs"), default=False, help_text=_("Les chiffres n'ont pas été vérifiés auprès de la source.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("aide")
        verbose_name_plural = _("aides")
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_vector"], name="aid_scheme_search_gin"),
            GinIndex(fields=["stages"], name="aid_scheme_stages_gin"),
            # Everything the facet counts, the visibility and the sorts read, so that they scan
            # this narrow index (index-only) instead of the wide rows (descriptions, vectors).
            models.Index(
                fields=["coverage", "id"],
                include=[
                    "name",
                    "amount_min",
                    "amount_max",
                    "updated_at",
                    "kind",
                    "stage_bits",
                    "situation_bits",
                    "requires_qpv_residence",
                    "is_unconditioned",
                    "opens_on",
                    "closes_on",
                ],
                condition=Q(is_active=True),
                name="aid_scheme_facets",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True)
                | Q(amount_max__isnull=True)
                | Q(amount_max__gte=models.F("amount_min")),
                name="aid_amounts_ordered",
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True) | Q(age_max__isnull=True) | Q(age_max__gte=models.F("age_min")),
                name="aid_ages_ordered",
            ),
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True) | Q(closes_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="aid_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueCuration(TenantOwnedModel):
    """A Fabrique's choice about one catalogue entry: hide it from its portal, or feature it."""

    aid_scheme = models.ForeignKey(AidScheme, on_delete=models.CASCADE, related_name="curations", null=True, blank=True)
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="curations", null=True, blank=True)
    is_hidden = models.BooleanField(_("masqué"), default=False)
    is_featured = models.BooleanField(_("mis en avant"), default=False)

    class Meta:
        verbose_name = _("choix éditorial")
        verbose_name_plural = _("choix éditoriaux")
        constraints = [
            models.CheckConstraint(
                condition=Q(aid_scheme__isnull=True, structure__isnull=False)
                | Q(aid_scheme__isnull=False, structure__isnull=True),
                name="curation_targets_one_entry",
            ),
            models.UniqueConstraint(
                fields=["fabrique", "aid_scheme"], condition=Q(aid_scheme__isnull=False), name="one_curation_per_aid"
            ),
            models.UniqueConstraint(
                fields=["fabrique", "structure"],
                condition=Q(structure__isnull=False),
                name="one_curation_per_structure",
            ),
            models.CheckConstraint(condition=~Q(is_hidden=True, is_featured=True), name="curation_hidden_or_featured"),
        ]


class CatalogueChange(models.Model):
    """One row per transaction that wrote to a table the catalogue search reads.

    Written by PostgreSQL triggers (migration 0003), never by Django: a write from the
    services, the admin, an import, a shell or plain SQL is noted all the same. Rows appear
    to other sessions when the writing transaction commits, so the count, range of ids and
    statement total (`freshness.catalogue_fingerprint`) change exactly when there is something
    new to see; `statements` also lets the writing transaction see its own writes.
    """

    xact = models.BigIntegerField(unique=True)
    statements = models.PositiveIntegerField(db_default=1)
    changed_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("modification du catalogue")
        verbose_name_plural = _("modifications du catalogue")

    def __str__(self) -> str:
        return f"{self.xact} ({self.changed_at:%Y-%m-%d %H:%M})"
