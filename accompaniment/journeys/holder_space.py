"""The holder's own space: what they see of their journey, edit in their file, consent to, export.

Writes are services (`<entity>_<action>`, keyword-only, atomic, `full_clean()` before save).
The address check talks to the national address API (BAN): it runs before, and outside, the
transaction that saves the profile, so that no row stays locked while the network is slow.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accompaniment.appointments.models import Appointment
from accompaniment.journeys.holders import support_link_ensure
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    FollowUp,
    Holder,
    JourneyState,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)
from accompaniment.journeys.models.project import EXITS, JOURNEY_ORDER
from fabrique.jobs import job_enqueue_on_commit
from territories.address_checks import GeocoderUnavailable, address_check_create, address_check_declare
from territories.models import QPV, AddressCheck, Commune
from territories.tasks import address_check_verify_one

logger = logging.getLogger(__name__)

# Fields of the holder's file the holder edits themselves (the rest is the QPV status, derived).
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "birth_year",
    "gender",
    "situation",
    "education_level",
    "street_address",
    "postcode",
    "contact_by_email",
    "contact_by_sms",
)
PROJECT_FIELDS = ("title", "description", "sector", "kind", "legal_form")

# ------------------------------------------------------------------ what each stage means
# Short guidance for the holder, per stage: what it is about, what usually comes next.
STAGE_GUIDANCE: dict[str, Any] = {
    JourneyState.AWARENESS: gettext_lazy(
        "Vous découvrez l'entrepreneuriat : venez à un atelier ou une réunion d'information, et prenez un premier "
        "rendez-vous avec un conseiller pour parler de votre idée."
    ),
    JourneyState.EMERGENCE: gettext_lazy(
        "Votre idée prend forme : avec votre conseiller, vérifiez qu'elle répond à un besoin (clients, concurrents, "
        "prix) et que le projet vous correspond."
    ),
    JourneyState.STRUCTURING: gettext_lazy(
        "Vous construisez votre projet : étude de marché, choix du statut, prévisionnel et plan de financement. "
        "Prochaine étape : chercher les financements."
    ),
    JourneyState.FINANCING: gettext_lazy(
        "Vous cherchez vos financements : prêt d'honneur, microcrédit, garantie, prêt bancaire. Votre conseiller "
        "prépare avec vous le passage en comité."
    ),
    JourneyState.CREATION: gettext_lazy(
        "Votre entreprise est créée ou reprise : bravo ! Les premiers mois, gardez le contact avec votre "
        "conseiller pour le démarrage (clients, trésorerie, obligations)."
    ),
    JourneyState.POST_CREATION: gettext_lazy(
        "Vous développez votre entreprise : des points de suivi ont lieu à 6 mois, 1 an, 2 ans et 3 ans. "
        "Parrainage et réseaux de chefs d'entreprise peuvent vous aider."
    ),
    JourneyState.ABANDONED: gettext_lazy(
        "Le projet est arrêté. Vous pouvez le reprendre à tout moment : parlez-en à votre conseiller."
    ),
    JourneyState.REORIENTED_EMPLOYMENT: gettext_lazy(
        "Vous avez choisi un emploi pour le moment. Le projet pourra reprendre quand vous le souhaitez."
    ),
    JourneyState.REORIENTED_TRAINING: gettext_lazy(
        "Vous suivez une formation pour le moment. Le projet pourra reprendre quand vous le souhaitez."
    ),
}

# Documents to bring to appointments, per stage (cumulative where it makes sense).
_ID = gettext_lazy("Une pièce d'identité (ou un titre de séjour en cours de validité)")
_ADDRESS = gettext_lazy("Un justificatif de domicile de moins de 3 mois")
_SITUATION = gettext_lazy("Une attestation de votre situation (France Travail, CAF pour le RSA…), si vous en avez une")
_CV = gettext_lazy("Votre CV")
_IDEA = gettext_lazy("Vos notes sur l'idée : produits ou services, clients visés, concurrents repérés")
_MARKET = gettext_lazy("Votre étude de marché, même partielle")
_PLAN = gettext_lazy("Votre projet de business plan")
_FORECAST = gettext_lazy("Votre prévisionnel financier (chiffre d'affaires, charges, plan de financement)")
_QUOTES = gettext_lazy("Les devis de vos investissements (matériel, travaux, véhicule…)")
_BANK = gettext_lazy("Vos trois derniers relevés de compte bancaire")
_TAX = gettext_lazy("Votre dernier avis d'imposition")
_KBIS = gettext_lazy("L'extrait Kbis ou l'avis de situation au répertoire SIRENE de votre entreprise")
_STATUTES = gettext_lazy("Les statuts de votre société, si vous en avez une")
_ACCOUNTS = gettext_lazy("Vos derniers comptes ou votre tableau de bord (chiffre d'affaires, trésorerie)")
_CONTRACTS = gettext_lazy("Vos contrats importants (bail, prêts, principaux clients)")

STAGE_DOCUMENTS: dict[str, tuple[Any, ...]] = {
    JourneyState.AWARENESS: (_ID, _ADDRESS, _SITUATION),
    JourneyState.EMERGENCE: (_ID, _ADDRESS, _SITUATION, _CV, _IDEA),
    JourneyState.STRUCTURING: (_ID, _CV, _MARKET, _PLAN, _FORECAST),
    JourneyState.FINANCING: (_ID, _ADDRESS, _PLAN, _FORECAST, _QUOTES, _BANK, _TAX),
    JourneyState.CREATION: (_KBIS, _STATUTES, _FORECAST, _BANK),
    JourneyState.POST_CREATION: (_KBIS, _ACCOUNTS, _CONTRACTS),
}


@dataclass
class StageStep:
    state: str
    label: str
    is_current: bool
    is_done: bool


@dataclass
class ProjectJourney:
    """One project as the holder sees it on « Mon parcours »."""

    project: Project
    steps: list[StageStep]
    is_exited: bool
    guidance: str
    documents: list[str]
    next_steps: list[FollowUp] = field(default_factory=list)


def _steps(state: str, left_from: str | None) -> list[StageStep]:
    """The six stages, the current one (or the one an exited project left from) marked."""
    reference = left_from if state in EXITS else state
    position = JOURNEY_ORDER.index(JourneyState(reference)) if reference in JOURNEY_ORDER else -1
    return [
        StageStep(
            state=stage.value,
            label=str(stage.label),
            is_current=index == position and state not in EXITS,
            is_done=index < position,
        )
        for index, stage in enumerate(JOURNEY_ORDER)
    ]


# « Mon parcours » lists the next few; « Mes rendez-vous » has them all.
UPCOMING_APPOINTMENTS = 5


def holder_journey(holder: Holder) -> dict[str, Any]:
    """What « Mon parcours » shows: projects with their stage, next steps shared with the holder,
    the structures that follow them and their referents. A fixed number of queries."""
    project_list = list(Project.objects.filter(holder=holder).order_by("-created_at", "pk"))
    # The stage an exited project left from, to place it in the progress list.
    exited = [p.pk for p in project_list if p.state in EXITS]
    left_from: dict[int, str] = {}
    if exited:
        for project_id, from_state in (
            StageTransition.objects.filter(project_id__in=exited, to_state=models.F("project__state"))
            .order_by("project_id", "-at", "-pk")
            .distinct("project_id")
            .values_list("project_id", "from_state")
        ):
            left_from[project_id] = from_state
    # Only next steps an advisor chose to share: never a private note, never a summary.
    shared_steps = list(
        FollowUp.objects.filter(holder=holder, is_shared=True, next_step_done_at__isnull=True)
        .exclude(next_step="")
        .select_related("organisation")
        .order_by(models.F("next_step_due").asc(nulls_last=True), "-occurred_on", "pk")
    )
    journeys = []
    for project in project_list:
        journeys.append(
            ProjectJourney(
                project=project,
                steps=_steps(project.state, left_from.get(project.pk)),
                is_exited=project.state in EXITS,
                guidance=str(STAGE_GUIDANCE.get(project.state, "")),
                documents=[str(d) for d in STAGE_DOCUMENTS.get(project.state, ())],
                next_steps=[f for f in shared_steps if f.project_id == project.pk],
            )
        )
    project_ids = {p.pk for p in project_list}
    links = list(
        SupportLink.objects.live()
        .filter(holder=holder)
        .select_related("organisation", "referent")
        .order_by("organisation__name", "pk")
    )
    upcoming = list(
        Appointment.objects.filter(holder=holder, status=Appointment.Status.BOOKED, starts_at__gte=timezone.now())
        .select_related("motive", "organisation", "place")
        .order_by("starts_at", "pk")[:UPCOMING_APPOINTMENTS]
    )
    return {
        "journeys": journeys,
        "general_next_steps": [f for f in shared_steps if f.project_id not in project_ids],
        "links": links,
        "upcoming_appointments": upcoming,
    }


# ----------------------------------------------------------------------------- profile
@dataclass(frozen=True)
class QpvStatus:
    """Where the holder lives, as far as the QPV is concerned."""

    commune: Commune | None
    lives_in_qpv: bool | None
    qpv: QPV | None
    address_check: AddressCheck | None
    verified: bool = False
    # Why the declaration stands: "" (verified or no address), "unavailable" or "not_found".
    fallback: str = ""


def holder_qpv_status_locate(
    *, street_address: str, postcode: str, commune: Commune | None, declared: bool | None, qpv: QPV | None
) -> QpvStatus:
    """Verify the address with the BAN when there is one; otherwise (or when the BAN cannot tell)
    keep the holder's own answer, stored as a declared check to be verified in the background.

    Runs outside any transaction (network call); returns unsaved decisions and saved checks."""
    if not street_address or commune is None:
        return QpvStatus(commune=commune, lives_in_qpv=declared, qpv=qpv if declared else None, address_check=None)
    fallback = "not_found"
    try:
        check = address_check_create(address=street_address, postcode=postcode, commune=commune)
    except GeocoderUnavailable as error:
        logger.warning("holder profile: the BAN is unavailable, keeping the declared answer: %s", error)
        fallback = "unavailable"
    except ValidationError:  # an answer the check cannot store: the declaration stands
        logger.warning("holder profile: the address check was refused, keeping the declared answer")
    else:
        if check.status == AddressCheck.Status.VERIFIED:
            return QpvStatus(
                commune=check.commune or commune,
                lives_in_qpv=check.in_qpv,
                qpv=check.qpv,
                address_check=check,
                verified=True,
            )
        check.delete()  # "not found" says nothing the declaration does not: keep one check only
    if declared is True and qpv is not None:
        answer = AddressCheck.Declared.QPV
    elif declared is False:
        answer = AddressCheck.Declared.NONE
    else:
        answer = AddressCheck.Declared.UNKNOWN
    address = street_address if postcode in street_address else f"{street_address} {postcode}".strip()
    with transaction.atomic():
        declared_check = address_check_declare(
            address=address, commune=commune, answer=answer, qpv=qpv if answer == AddressCheck.Declared.QPV else None
        )
        # territories publishes no job itself; the periodic sweep catches a lost one.
        job_enqueue_on_commit(address_check_verify_one, declared_check.pk)
    return QpvStatus(
        commune=commune,
        lives_in_qpv=declared,
        qpv=qpv if declared else None,
        address_check=declared_check,
        fallback=fallback,
    )


def holder_profile_update(*, holder: Holder, values: dict[str, Any], qpv_status: QpvStatus | None) -> Holder:
    """Save the holder's own fields (and, when the address was checked again, its QPV status)."""
    fields = [name for name in PROFILE_FIELDS if name in values]
    with transaction.atomic():
        locked = Holder.objects.select_for_update().get(pk=holder.pk)
        for name in fields:
            setattr(locked, name, values[name])
        if qpv_status is not None:
            locked.commune = qpv_status.commune
            locked.lives_in_qpv = qpv_status.lives_in_qpv
            locked.qpv = qpv_status.qpv
            locked.address_check = qpv_status.address_check
            fields += ["commune", "lives_in_qpv", "qpv", "address_check"]
        locked.full_clean()
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


# ---------------------------------------------------------------------------- projects
def project_update(*, project: Project, values: dict[str, Any]) -> Project:
    """The holder edits how they describe their project (never its stage: advisors record that)."""
    fields = [name for name in PROJECT_FIELDS if name in values]
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        for name in fields:
            setattr(locked, name, values[name])
        locked.full_clean()
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


# ---------------------------------------------------------------------------- consents
def support_link_consent_set(*, link: SupportLink, shares_file: bool) -> SupportLink:
    """The holder grants or withdraws the sharing of their file with this structure."""
    with transaction.atomic():
        return support_link_ensure(
            link.holder, link.organisation, origin=SupportLink.Origin(link.origin), shares_file=shares_file
        )


def support_link_end(*, link: SupportLink) -> SupportLink:
    """The holder stops being followed by this structure: its advisors no longer open the file.
    Sharing is withdrawn too, so that following again asks for consent again."""
    with transaction.atomic():
        locked = SupportLink.objects.select_for_update().get(pk=link.pk)
        if locked.ended_at is not None:
            return locked
        now = timezone.now()
        locked.ended_at = now
        fields = ["ended_at"]
        if locked.shares_file:
            locked.shares_file, locked.consent_updated_at = False, now
            fields += ["shares_file", "consent_updated_at"]
        locked.save(update_fields=fields)
    return locked


# ------------------------------------------------------------------------------ export
def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "as_tuple"):  # Decimal: keep its exact digits
        return str(value)
    return value


def _field_at(model: type[models.Model], lookup: str) -> Any:
    """The model field a `values()` lookup ends on (through foreign keys)."""
    *path, last = lookup.split("__")
    for name in path:
        model = model._meta.get_field(name).related_model  # type: ignore[assignment]
    return model._meta.get_field(last)


def _rows(queryset: models.QuerySet[Any], columns: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """One query: `columns` are (lookup, key); choice fields are written with their French label."""
    columns = list(columns)
    labels: dict[str, dict[Any, str]] = {}
    for lookup, _key in columns:
        model_field = _field_at(queryset.model, lookup)
        if getattr(model_field, "choices", None):
            labels[lookup] = {value: str(label) for value, label in model_field.flatchoices}
    rows = []
    for row in queryset.values(*(lookup for lookup, _key in columns)):
        rows.append(
            {
                key: _plain(labels[lookup].get(row[lookup], row[lookup]) if lookup in labels else row[lookup])
                for lookup, key in columns
            }
        )
    return rows


def holder_data_export(holder: Holder) -> dict[str, Any]:
    """Everything the file holds about the holder (right of access), one query per table."""
    projects = Project.objects.filter(holder=holder).order_by("created_at", "pk")
    return {
        "format": "fabrique-a-entreprendre/mes-donnees/1",
        "exporte_le": _plain(timezone.now()),
        "fabrique": holder.fabrique.name,
        "profil": _rows(
            Holder.objects.filter(pk=holder.pk),
            [
                ("first_name", "prenom"),
                ("last_name", "nom"),
                ("email", "email"),
                ("phone", "telephone"),
                ("birth_year", "annee_de_naissance"),
                ("gender", "genre"),
                ("situation", "situation"),
                ("education_level", "niveau_de_formation"),
                ("street_address", "adresse"),
                ("postcode", "code_postal"),
                ("commune__name", "commune"),
                ("lives_in_qpv", "habite_un_quartier_prioritaire"),
                ("qpv__name", "quartier_prioritaire"),
                ("address_check__status", "verification_de_l_adresse"),
                ("contact_by_email", "accepte_contact_par_email"),
                ("contact_by_sms", "accepte_contact_par_sms"),
                ("registered_by__name", "inscrit_par"),
                ("created_at", "cree_le"),
                ("updated_at", "mis_a_jour_le"),
            ],
        )[0],
        "projets": _rows(
            projects,
            [
                ("id", "id"),
                ("title", "intitule"),
                ("description", "idee"),
                ("sector", "secteur"),
                ("kind", "creation_ou_reprise"),
                ("legal_form", "forme_juridique_envisagee"),
                ("state", "etape"),
                ("state_entered_at", "a_cette_etape_depuis"),
                ("created_at", "cree_le"),
            ],
        ),
        "changements_d_etape": _rows(
            StageTransition.objects.filter(project__holder=holder).order_by("project_id", "at", "pk"),
            [
                ("project_id", "projet"),
                ("from_state", "de"),
                ("to_state", "vers"),
                ("at", "le"),
                ("organisation__name", "structure"),
                ("reason", "raison"),
            ],
        ),
        "actions_d_accompagnement": _rows(
            FollowUp.objects.filter(holder=holder).order_by("occurred_on", "pk"),
            [
                ("project_id", "projet"),
                ("organisation__name", "structure"),
                ("occurred_on", "date"),
                ("kind", "type"),
                ("duration_minutes", "duree_minutes"),
                ("place__name", "lieu"),
                ("summary", "compte_rendu"),
                ("next_step", "prochaine_etape"),
                ("next_step_due", "echeance"),
                ("next_step_done_at", "faite_le"),
                ("is_shared", "partage_avec_les_autres_structures"),
            ],
        ),
        "orientations": _rows(
            Referral.objects.filter(holder=holder).order_by("created_at", "pk"),
            [
                ("project_id", "projet"),
                ("from_organisation__name", "de"),
                ("to_organisation__name", "vers"),
                ("need", "besoin"),
                ("message", "message"),
                ("holder_consented_at", "accord_du_porteur_le"),
                ("status", "statut"),
                ("responded_at", "reponse_le"),
                ("response_reason", "motif_de_la_reponse"),
                ("created_at", "creee_le"),
            ],
        ),
        "financements": _rows(
            FinancingRequest.objects.filter(project__holder=holder).order_by("created_at", "pk"),
            [
                ("project_id", "projet"),
                ("organisation__name", "structure"),
                ("aid_scheme__name", "dispositif"),
                ("label", "financement"),
                ("amount_requested", "montant_demande"),
                ("committee_on", "date_du_comite"),
                ("status", "statut"),
                ("amount_granted", "montant_accorde"),
                ("bank_loan_leveraged", "pret_bancaire_obtenu"),
                ("amount_disbursed", "montant_decaisse"),
                ("disbursed_on", "decaisse_le"),
            ],
        ),
        "creations": _rows(
            CreationRecord.objects.filter(project__holder=holder).order_by("created_on", "pk"),
            [
                ("project_id", "projet"),
                ("siret", "siret"),
                ("created_on", "date_de_creation"),
                ("legal_form", "forme_juridique"),
                ("jobs_at_creation", "emplois_a_la_creation"),
                ("organisation__name", "structure"),
            ],
        ),
        "suivis_apres_creation": _rows(
            PostCreationCheck.objects.filter(creation__project__holder=holder).order_by("due_on", "pk"),
            [
                ("creation__project_id", "projet"),
                ("months_after", "mois_apres_la_creation"),
                ("due_on", "a_faire_le"),
                ("done_at", "fait_le"),
                ("is_active", "entreprise_en_activite"),
                ("jobs", "emplois"),
                ("closed_on", "cessation_le"),
                ("notes", "observations"),
            ],
        ),
        "structures_qui_me_suivent": _rows(
            SupportLink.objects.filter(holder=holder).order_by("started_at", "pk"),
            [
                ("organisation__name", "structure"),
                ("origin", "origine"),
                ("referent__first_name", "referent_prenom"),
                ("referent__last_name", "referent_nom"),
                ("shares_file", "partage_du_dossier_accepte"),
                ("consent_updated_at", "consentement_mis_a_jour_le"),
                ("started_at", "suivi_depuis_le"),
                ("ended_at", "fin_du_suivi"),
            ],
        ),
        "accueils_sans_rendez_vous": _rows(
            WalkIn.objects.filter(holder=holder).order_by("occurred_at", "pk"),
            [
                ("place__name", "lieu"),
                ("occurred_at", "le"),
                ("organisation__name", "structure"),
                ("reason", "motif"),
                ("oriented_to__name", "oriente_vers"),
                ("notes", "remarque"),
            ],
        ),
    }
