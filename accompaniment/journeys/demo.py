"""Demo journeys in the MEL demo Fabrique: fictitious holders at every stage, their history,
follow-ups by two demo structures, referrals, a granted honour loan, a creation with its
post-creation checks, walk-ins at the demo places, and the demo holder account's own file.

Every person is fictitious (names, e-mails at `exemple.test`, phone numbers in the range
reserved for fiction). Runs after `fabrique.demo` (the MEL Fabrique, BGE and the demo
accounts), `territories.demo` (places) and `accompaniment.catalogue.demo` (Initiative Lille
Métropole Nord and its honour loan): anything missing is skipped, never created here.
Idempotent: a holder is matched by Fabrique and e-mail, and only a new holder gets a history;
walk-ins are created once (marked in their notes).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from django.utils import timezone
from django.utils.text import slugify

from accompaniment.catalogue.models import AidScheme, Structure
from accompaniment.journeys.holders import holder_file_for_account, holder_register, support_link_ensure
from accompaniment.journeys.models import (
    CreationRecord,
    EducationLevel,
    FinancingRequest,
    FollowUp,
    Gender,
    Holder,
    JourneyState,
    LegalForm,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)
from accompaniment.journeys.models.outcome import POST_CREATION_MILESTONES
from accompaniment.journeys.projects import project_create, project_transition
from accompaniment.vocabulary import ProjectKind, Sector, Situation
from fabrique.models import Fabrique, Organisation, User
from fabrique.validators import luhn_valid
from territories.models import QPV, Commune, Place

DEMO_FABRIQUE = "mel"
ADVISOR_EMAIL = "conseiller@demo.fabrique.test"
HOLDER_EMAIL = "porteur@demo.fabrique.test"
BGE = "BGE Hauts-de-France"
INITIATIVE = "initiative-lille-metropole-nord"  # a demo structure's slug (catalogue demo)
HONOUR_LOAN = "pret-honneur-initiative-lille-metropole-nord"
WALK_IN_MARK = "Démonstration"

# The transitions that lead from awareness to each stage (or exit).
PATH_TO: dict[str, tuple[str, ...]] = {
    JourneyState.AWARENESS: (),
    JourneyState.EMERGENCE: ("start_emergence",),
    JourneyState.STRUCTURING: ("start_emergence", "start_structuring"),
    JourneyState.FINANCING: ("start_emergence", "start_structuring", "start_financing"),
    JourneyState.CREATION: ("start_emergence", "start_structuring", "start_financing", "record_creation"),
    JourneyState.POST_CREATION: (
        "start_emergence",
        "start_structuring",
        "start_financing",
        "record_creation",
        "start_post_creation",
    ),
    JourneyState.ABANDONED: ("start_emergence", "abandon"),
    JourneyState.REORIENTED_EMPLOYMENT: ("start_emergence", "start_structuring", "reorient_to_employment"),
}
EXIT_REASONS = {
    "abandon": "Projet mis en pause pour raisons familiales.",
    "reorient_to_employment": "A trouvé un CDI dans la logistique ; garde l'idée pour plus tard.",
}


@dataclass(frozen=True)
class DemoHolder:
    first_name: str
    last_name: str
    birth_year: int
    gender: str
    situation: str
    insee: str
    postcode: str
    street_address: str
    qpv: str | None  # code of the QPV they live in, None: outside every QPV
    project: str
    description: str
    sector: str
    state: str
    days_in_journey: int  # how long ago the journey started
    kind: str = ProjectKind.CREATION
    legal_form: str = LegalForm.UNDECIDED
    education_level: str = ""
    by_initiative: bool = False  # registered by Initiative rather than BGE
    extra: tuple[str, ...] = field(default=())  # "pending_referral", "accepted_referral", "financing"
    siret_prefix: str = ""  # a creation record, SIRET completed with its Luhn key (fictitious SIREN)

    @property
    def email(self) -> str:
        return f"{slugify(self.first_name)}.{slugify(self.last_name)}@exemple.test"


DEMO_HOLDERS = (
    DemoHolder(
        "Amina",
        "Khelifi",
        1991,
        Gender.WOMAN,
        Situation.JOB_SEEKER,
        "59512",
        "59100",
        "12 rue de l'Épeule",
        "QN05980M",
        "Traiteur de cuisine maghrébine",
        "Plats à emporter et buffets pour les événements familiaux et les entreprises du quartier.",
        Sector.FOOD,
        JourneyState.AWARENESS,
        12,
        education_level=EducationLevel.CAP_BEP,
    ),
    DemoHolder(
        "Kevin",
        "Vandenbussche",
        1999,
        Gender.MAN,
        Situation.RSA,
        "59599",
        "59200",
        "4 rue de Bourgogne",
        "QN05985M",
        "Réparation de vélos à domicile",
        "Un triporteur atelier pour réparer les vélos chez les particuliers et dans les entreprises.",
        Sector.SERVICES_PEOPLE,
        JourneyState.EMERGENCE,
        40,
        legal_form=LegalForm.MICRO,
    ),
    DemoHolder(
        "Fatoumata",
        "Diallo",
        1987,
        Gender.WOMAN,
        Situation.EMPLOYEE,
        "59350",
        "59000",
        "30 rue du Faubourg des Postes",
        "QN05972M",
        "Atelier de couture et retouches",
        "Retouches, confection sur mesure et ateliers de couture pour les habitantes du quartier.",
        Sector.CRAFTS,
        JourneyState.STRUCTURING,
        95,
        education_level=EducationLevel.BAC,
        extra=("pending_referral",),
    ),
    DemoHolder(
        "Yassine",
        "Benamar",
        1994,
        Gender.MAN,
        Situation.JOB_SEEKER,
        "59299",
        "59510",
        "8 rue de la Lionderie",
        "QN05969M",
        "Food truck de street food",
        "Un camion de restauration rapide sur les marchés et devant les zones d'activité.",
        Sector.FOOD,
        JourneyState.FINANCING,
        160,
        legal_form=LegalForm.SASU,
        extra=("financing", "accepted_referral"),
    ),
    DemoHolder(
        "Sophie",
        "Lemaire",
        1983,
        Gender.WOMAN,
        Situation.EMPLOYEE,
        "59009",
        "59650",
        "2 avenue du Pont de Bois",
        None,
        "Reprise d'une librairie-papeterie",
        "Reprendre la librairie du centre commercial, dont la gérante part à la retraite.",
        Sector.RETAIL,
        JourneyState.FINANCING,
        120,
        kind=ProjectKind.TAKEOVER,
        legal_form=LegalForm.SARL,
        education_level=EducationLevel.BAC_5,
    ),
    DemoHolder(
        "Moussa",
        "Traoré",
        1989,
        Gender.MAN,
        Situation.JOB_SEEKER,
        "59648",
        "59139",
        "5 rue du Blanc Riez",
        "QN05987M",
        "Entreprise de nettoyage",
        "Nettoyage de bureaux et de parties communes, avec deux salariés à terme.",
        Sector.SERVICES_BUSINESS,
        JourneyState.CREATION,
        300,
        legal_form=LegalForm.MICRO,
        siret_prefix="9123456780001",
    ),
    DemoHolder(
        "Nadia",
        "Bouzid",
        1979,
        Gender.WOMAN,
        Situation.SELF_EMPLOYED,
        "59350",
        "59800",
        "14 rue Pierre Legrand",
        "QN05973M",
        "Institut de beauté",
        "Soins esthétiques et onglerie, installé depuis un an, qui veut embaucher une apprentie.",
        Sector.HEALTH,
        JourneyState.POST_CREATION,
        700,
        legal_form=LegalForm.EURL,
        education_level=EducationLevel.CAP_BEP,
        siret_prefix="9876543210001",
    ),
    DemoHolder(
        "Julien",
        "Deschamps",
        2001,
        Gender.MAN,
        Situation.STUDENT,
        "59163",
        "59170",
        "21 rue Jean Jaurès",
        None,
        "Création de sites pour les commerçants",
        "Sites internet et réseaux sociaux clés en main pour les petits commerces.",
        Sector.DIGITAL,
        JourneyState.EMERGENCE,
        25,
        education_level=EducationLevel.BAC_3,
    ),
    DemoHolder(
        "Leïla",
        "Haddad",
        1996,
        Gender.WOMAN,
        Situation.JOB_SEEKER,
        "59360",
        "59120",
        "3 rue des Oliveaux",
        "QN05975M",
        "Micro-crèche",
        "Une micro-crèche de dix places aux horaires décalés pour les parents du quartier.",
        Sector.SERVICES_PEOPLE,
        JourneyState.STRUCTURING,
        75,
        by_initiative=True,
    ),
    DemoHolder(
        "Thierry",
        "Dubois",
        1972,
        Gender.MAN,
        Situation.JOB_SEEKER,
        "59650",
        "59150",
        "9 rue de la Paix",
        None,
        "Reprise d'une boulangerie",
        "Reprendre une boulangerie de quartier avec un associé.",
        Sector.FOOD,
        JourneyState.ABANDONED,
        200,
        kind=ProjectKind.TAKEOVER,
    ),
    DemoHolder(
        "Inès",
        "Mansouri",
        1998,
        Gender.WOMAN,
        Situation.RSA,
        "59512",
        "59100",
        "40 boulevard de Belfort",
        "QN05980M",
        "Livraison à vélo cargo",
        "Livraisons du dernier kilomètre pour les commerces du centre de Roubaix.",
        Sector.TRANSPORT,
        JourneyState.REORIENTED_EMPLOYMENT,
        150,
    ),
    DemoHolder(
        "Karim",
        "Ait Ali",
        1985,
        Gender.MAN,
        Situation.EMPLOYEE,
        "59328",
        "59130",
        "7 avenue de l'Hippodrome",
        None,
        "Épicerie de produits locaux en vrac",
        "Une épicerie zéro déchet avec des producteurs de la métropole.",
        Sector.RETAIL,
        JourneyState.AWARENESS,
        5,
    ),
)


def _siret(prefix: str) -> str:
    """`prefix` (13 digits) completed with the digit that makes a Luhn-valid SIRET."""
    return next(prefix + str(d) for d in range(10) if luhn_valid(prefix + str(d)))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _backdate(project: Project, started: datetime.datetime, step: datetime.timedelta) -> None:
    """Spread the recorded transitions over the journey (they were all made just now)."""
    transitions = list(StageTransition.objects.filter(project=project).order_by("at", "pk"))
    at = last = started
    for transition in transitions:
        StageTransition.objects.filter(pk=transition.pk).update(at=at)
        last = at
        at += step
    Project.objects.filter(pk=project.pk).update(state_entered_at=last, created_at=started)


def _seed_holder(
    spec: DemoHolder, *, fabrique: Fabrique, bge: Organisation, initiative: Organisation | None, advisor: User | None
) -> Holder | None:
    if Holder.objects.for_fabrique(fabrique).filter(email=spec.email).exists():
        return None
    registrar = initiative if spec.by_initiative and initiative is not None else bge
    commune = Commune.objects.filter(insee=spec.insee).first()
    qpv = QPV.objects.filter(code=spec.qpv).first() if spec.qpv else None
    holder = holder_register(
        fabrique=fabrique,
        organisation=registrar,
        advisor=advisor if registrar == bge else None,
        shares_file=True,
        first_name=spec.first_name,
        last_name=spec.last_name,
        email=spec.email,
        phone="0639980000",  # the range reserved for fiction by the regulator (ARCEP)
        birth_year=spec.birth_year,
        gender=spec.gender,
        situation=spec.situation,
        education_level=spec.education_level,
        street_address=spec.street_address,
        postcode=spec.postcode,
        commune=commune,
        lives_in_qpv=spec.qpv is not None,
        qpv=qpv,
        contact_by_email=True,
        contact_by_sms=spec.situation != Situation.STUDENT,
    )
    now = timezone.now()
    started = now - datetime.timedelta(days=spec.days_in_journey)
    SupportLink.objects.filter(holder=holder).update(started_at=started)
    project = project_create(
        holder=holder,
        title=spec.project,
        by=advisor if registrar == bge else None,
        organisation=registrar,
        description=spec.description,
        sector=spec.sector,
        kind=spec.kind,
        legal_form=spec.legal_form,
    )
    path = PATH_TO[spec.state]
    for name in path:
        project_transition(
            project,
            name,
            by=advisor if registrar == bge else None,
            organisation=registrar,
            reason=EXIT_REASONS.get(name, ""),
        )
    step = datetime.timedelta(days=max(1, spec.days_in_journey // (len(path) + 1)))
    _backdate(project, started, step)
    _seed_follow_ups(holder, project, spec, registrar=registrar, bge=bge, advisor=advisor, started=started)
    if "pending_referral" in spec.extra and initiative is not None:
        Referral.objects.create(
            holder=holder,
            project=project,
            from_organisation=bge,
            to_organisation=initiative,
            created_by=advisor,
            need=Referral.Need.FINANCING,
            message="Projet bien avancé, prévisionnel en cours : un prêt d'honneur compléterait l'apport.",
            holder_consented_at=now - datetime.timedelta(days=3),
            respond_by=timezone.localdate() + datetime.timedelta(days=7),
        )
    if "accepted_referral" in spec.extra and initiative is not None:
        Referral.objects.create(
            holder=holder,
            project=project,
            from_organisation=bge,
            to_organisation=initiative,
            created_by=advisor,
            need=Referral.Need.FINANCING,
            message="Plan de financement prêt pour le comité.",
            holder_consented_at=started + datetime.timedelta(days=60),
            status=Referral.Status.ACCEPTED,
            respond_by=(started + datetime.timedelta(days=74)).date(),
            responded_at=started + datetime.timedelta(days=64),
            response_reason="Dossier complet : passage au comité du mois prochain.",
        )
        support_link_ensure(holder, initiative, origin=SupportLink.Origin.REFERRAL, shares_file=True)
    if "financing" in spec.extra and initiative is not None:
        aid = AidScheme.objects.filter(slug=HONOUR_LOAN).first()
        FinancingRequest.objects.create(
            project=project,
            organisation=initiative,
            aid_scheme=aid,
            label="" if aid else "Prêt d'honneur Initiative",
            amount_requested=Decimal(8000),
            committee_on=timezone.localdate() - datetime.timedelta(days=10),
            status=FinancingRequest.Status.GRANTED,
            amount_granted=Decimal(8000),
            bank_loan_leveraged=Decimal(30000),
            recorded_by=None,
        )
    if spec.siret_prefix:
        recorded = StageTransition.objects.filter(project=project, to_state=JourneyState.CREATION).first()
        created_on = timezone.localdate(recorded.at) if recorded else timezone.localdate()
        creation = CreationRecord(
            project=project,
            siret=_siret(spec.siret_prefix),
            created_on=created_on,
            legal_form=spec.legal_form,
            jobs_at_creation=1,
            organisation=bge,
            recorded_by=advisor,
        )
        creation.full_clean()
        creation.save()
        for months in POST_CREATION_MILESTONES:
            due = _add_months(created_on, months)
            done = due <= timezone.localdate()
            PostCreationCheck.objects.create(
                creation=creation,
                months_after=months,
                due_on=due,
                done_at=timezone.make_aware(datetime.datetime.combine(due, datetime.time(10))) if done else None,
                done_by=advisor if done else None,
                is_active=True if done else None,
                jobs=2 if done else None,
                notes="Activité régulière, un premier salarié à temps partiel." if done else "",
            )
    return holder


def _seed_follow_ups(
    holder: Holder,
    project: Project,
    spec: DemoHolder,
    *,
    registrar: Organisation,
    bge: Organisation,
    advisor: User | None,
    started: datetime.datetime,
) -> None:
    author = advisor if registrar == bge else None
    first = started.date()
    FollowUp.objects.create(
        holder=holder,
        project=project,
        organisation=registrar,
        author=author,
        occurred_on=first,
        kind=FollowUp.Kind.INTERVIEW,
        duration_minutes=60,
        summary=f"Premier entretien : présentation du projet « {spec.project} », parcours et motivations.",
        next_step="Venir à l'atelier collectif « De l'idée au projet »",
        next_step_due=first + datetime.timedelta(days=14),
        next_step_done_at=started + datetime.timedelta(days=14) if spec.days_in_journey > 14 else None,
        is_shared=True,
    )
    if spec.days_in_journey > 30:
        FollowUp.objects.create(
            holder=holder,
            project=project,
            organisation=registrar,
            author=author,
            occurred_on=timezone.localdate() - datetime.timedelta(days=min(10, spec.days_in_journey // 3)),
            kind=FollowUp.Kind.PHONE,
            duration_minutes=20,
            summary="Point d'étape au téléphone ; situation personnelle difficile ce mois-ci (note interne).",
            next_step="Apporter les devis du matériel et le prévisionnel mis à jour",
            next_step_due=timezone.localdate() + datetime.timedelta(days=10),
            is_shared=False,
        )
        FollowUp.objects.create(
            holder=holder,
            project=project,
            organisation=registrar,
            author=author,
            occurred_on=timezone.localdate() - datetime.timedelta(days=3),
            kind=FollowUp.Kind.WORKSHOP,
            duration_minutes=180,
            summary="Atelier collectif : étude de marché et premiers chiffres.",
            next_step="Préparer trois questions à poser à des clients potentiels",
            next_step_due=timezone.localdate() + datetime.timedelta(days=21),
            is_shared=True,
        )


def _seed_demo_holder_account(fabrique: Fabrique, bge: Organisation, advisor: User | None) -> None:
    user = User.objects.filter(email=HOLDER_EMAIL).first()
    if user is None:
        return
    holder = holder_file_for_account(user, fabrique)
    if not holder.first_name:
        holder.first_name, holder.last_name = "Samira", "Benali"
    if holder.birth_year is None:
        holder.birth_year, holder.gender, holder.situation = 1990, Gender.WOMAN, Situation.JOB_SEEKER
        holder.postcode, holder.street_address = "59100", "25 rue de l'Alma"
        holder.commune = Commune.objects.filter(insee="59512").first()
        holder.lives_in_qpv, holder.qpv = True, QPV.objects.filter(code="QN05980M").first()
        holder.contact_by_email = True
    holder.full_clean()
    holder.save()
    support_link_ensure(holder, bge, origin=SupportLink.Origin.HOLDER, referent=advisor, shares_file=True)
    if Project.objects.filter(holder=holder).exists():
        return
    project = project_create(
        holder=holder,
        title="Salon de coiffure afro à Roubaix",
        by=advisor,
        organisation=bge,
        description="Un salon spécialisé dans les cheveux texturés, avec vente de produits naturels.",
        sector=Sector.SERVICES_PEOPLE,
        kind=ProjectKind.CREATION,
        legal_form=LegalForm.MICRO,
    )
    project_transition(project, "start_emergence", by=advisor, organisation=bge)
    project_transition(project, "start_structuring", by=advisor, organisation=bge)
    _backdate(project, timezone.now() - datetime.timedelta(days=60), datetime.timedelta(days=20))
    FollowUp.objects.create(
        holder=holder,
        project=project,
        organisation=bge,
        author=advisor,
        occurred_on=timezone.localdate() - datetime.timedelta(days=7),
        kind=FollowUp.Kind.INTERVIEW,
        duration_minutes=60,
        summary="Étude de marché avancée : trois salons concurrents repérés, clientèle identifiée.",
        next_step="Terminer le prévisionnel sur trois ans avec le tableur de la BGE",
        next_step_due=timezone.localdate() + datetime.timedelta(days=14),
        is_shared=True,
    )


def _seed_walk_ins(fabrique: Fabrique, bge: Organisation, advisor: User | None, holders: list[Holder]) -> int:
    if WalkIn.objects.for_fabrique(fabrique).filter(notes__startswith=WALK_IN_MARK).exists():
        return 0
    places = {
        p.slug: p
        for p in Place.objects.filter(
            slug__in=["mel-espace-ressource-roubaix", "mel-espace-ressource-lille-sud", "mel-espace-ressource-hem"]
        )
    }
    if not places:
        return 0
    initiative = Organisation.objects.filter(structure__slug=INITIATIVE).first()
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {"place": "mel-espace-ressource-roubaix", "days": 2, "reason": Referral.Need.INFORMATION, "visitors": 1},
        {"place": "mel-espace-ressource-roubaix", "days": 9, "reason": Referral.Need.FINANCING, "to": initiative},
        {"place": "mel-espace-ressource-lille-sud", "days": 5, "reason": Referral.Need.COACHING, "visitors": 3},
        {"place": "mel-espace-ressource-hem", "days": 12, "reason": Referral.Need.HOSTING, "visitors": 1},
    ]
    created = 0
    for index, row in enumerate(rows):
        place = places.get(row["place"])
        if place is None:
            continue
        known = holders[index] if index < len(holders) and row.get("visitors", 1) == 1 else None
        WalkIn.objects.create(
            fabrique=fabrique,
            place=place,
            occurred_at=now - datetime.timedelta(days=row["days"], hours=3),
            organisation=bge,
            logged_by=advisor,
            holder=known,
            visitors=1 if known else row.get("visitors", 1),
            reason=row["reason"],
            oriented_to=row.get("to"),
            notes=f"{WALK_IN_MARK} : accueil sans rendez-vous.",
        )
        created += 1
    return created


def seed(out: TextIO) -> None:
    fabrique = Fabrique.objects.filter(slug=DEMO_FABRIQUE).first()
    bge = Organisation.objects.filter(name=BGE, kind=Organisation.Kind.SUPPORT_ACTOR).first()
    if fabrique is None or bge is None:
        out.write("Parcours de démonstration non créés : la Fabrique MEL ou la BGE manque.\n")
        return
    advisor = User.objects.filter(email=ADVISOR_EMAIL).first()
    initiative_structure = Structure.objects.filter(slug=INITIATIVE).select_related("organisation").first()
    initiative = initiative_structure.organisation if initiative_structure else None
    created = [
        h
        for h in (
            _seed_holder(spec, fabrique=fabrique, bge=bge, initiative=initiative, advisor=advisor)
            for spec in DEMO_HOLDERS
        )
        if h is not None
    ]
    _seed_demo_holder_account(fabrique, bge, advisor)
    walk_ins = _seed_walk_ins(fabrique, bge, advisor, created)
    out.write(
        f"Parcours de démonstration : {len(created)} porteurs créés, {len(DEMO_HOLDERS) - len(created)} déjà "
        f"présents ; {walk_ins} accueils sans rendez-vous créés.\n"
    )
