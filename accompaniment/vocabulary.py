"""The domain's shared vocabulary: journey stages, situations, audiences, sectors.

Used by the catalogue (what an offer or aid covers), by journeys and by indicators.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    AWARENESS = "awareness", _("Sensibilisation")
    EMERGENCE = "emergence", _("Émergence de l'idée")
    STRUCTURING = "structuring", _("Structuration du projet")
    FINANCING = "financing", _("Financement")
    CREATION = "creation", _("Création ou reprise")
    POST_CREATION = "post_creation", _("Développement après la création")


class ProjectKind(models.TextChoices):
    CREATION = "creation", _("Création d'entreprise")
    TAKEOVER = "takeover", _("Reprise d'entreprise")


class Situation(models.TextChoices):
    JOB_SEEKER = "job_seeker", _("Demandeur d'emploi")
    RSA = "rsa", _("Allocataire du RSA")
    EMPLOYEE = "employee", _("Salarié")
    STUDENT = "student", _("Étudiant")
    SELF_EMPLOYED = "self_employed", _("Déjà entrepreneur")
    OTHER = "other", _("Autre situation")


class Audience(models.TextChoices):
    QPV_RESIDENTS = "qpv_residents", _("Habitants des quartiers prioritaires")
    UNDER_26 = "under_26", _("Moins de 26 ans")
    WOMEN = "women", _("Femmes")
    SENIORS = "seniors", _("Plus de 50 ans")
    JOB_SEEKERS = "job_seekers", _("Demandeurs d'emploi")
    RSA_RECIPIENTS = "rsa_recipients", _("Allocataires du RSA")
    DISABLED = "disabled", _("Personnes en situation de handicap")
    EVERYONE = "everyone", _("Tout public")


class Sector(models.TextChoices):
    RETAIL = "retail", _("Commerce")
    FOOD = "food", _("Restauration et alimentation")
    CRAFTS = "crafts", _("Artisanat")
    CONSTRUCTION = "construction", _("Bâtiment")
    SERVICES_PEOPLE = "services_people", _("Services à la personne")
    SERVICES_BUSINESS = "services_business", _("Services aux entreprises")
    DIGITAL = "digital", _("Numérique")
    TRANSPORT = "transport", _("Transport et logistique")
    CULTURE = "culture", _("Culture, sport et loisirs")
    HEALTH = "health", _("Santé et bien-être")
    ENVIRONMENT = "environment", _("Environnement et économie circulaire")
    AGRICULTURE = "agriculture", _("Agriculture")
    OTHER = "other", _("Autre secteur")
