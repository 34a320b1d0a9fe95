"""Demo catalogue: the national schemes a creator in a QPV meets, and the local actors of the demo Fabriques.

Idempotent (entries matched by slug, offers by structure and title), all marked `is_demo`.
Figures come from the schemes' public pages as we know them; whenever a figure is not
checked against its source the aid is marked `is_illustrative`. People are fictitious and
addresses plausible, not verified. Runs after `fabrique.demo` (Fabriques, the "BGE
Hauts-de-France" organisation) and `territories.demo` (places): a missing Fabrique, commune
or place is skipped, never created here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from accompaniment.catalogue import services
from accompaniment.catalogue.models import AidScheme, Offer, Permanence, Structure
from accompaniment.vocabulary import Audience, ProjectKind, Situation, Stage
from fabrique.models import Fabrique, Organisation
from territories.models import EPCI, Commune, Place

HDF = ("mel", "dunkerque", "lens-lievin", "henin-carvin", "saint-omer", "boulonnais", "artois")
PAS_DE_CALAIS = ("lens-lievin", "henin-carvin", "saint-omer", "boulonnais", "artois")
DEMO_NOTE = "Fiche de démonstration : coordonnées et horaires indicatifs."
TUE_THU = "Mardi et jeudi, 14 h – 17 h, sur rendez-vous."
WED = "Mercredi, 9 h 30 – 12 h 30, sans rendez-vous."

ALL_STAGES = [Stage.EMERGENCE, Stage.STRUCTURING, Stage.FINANCING, Stage.CREATION]
BOTH = [ProjectKind.CREATION, ProjectKind.TAKEOVER]


@dataclass(frozen=True)
class DemoOffer:
    title: str
    theme: Offer.Theme
    stages: tuple[Stage, ...]
    description: str
    audiences: tuple[Audience, ...] = (Audience.EVERYONE,)
    is_remote: bool = False
    is_free: bool = True
    cost_details: str = ""


@dataclass(frozen=True)
class DemoStructure:
    slug: str
    name: str
    network: Structure.Network
    fabriques: tuple[str, ...]
    insee: str
    street_address: str
    description: str
    website: str = ""
    offers: tuple[DemoOffer, ...] = ()
    permanences: tuple[tuple[str, str], ...] = ()  # (place slug, schedule)
    organisation_name: str | None = None  # an existing organisation to reuse


COACHING = DemoOffer(
    "Accompagnement au montage du projet",
    Offer.Theme.COACHING,
    (Stage.EMERGENCE, Stage.STRUCTURING),
    "Rendez-vous individuels avec un conseiller : étude de marché, prévisionnel, choix du statut.",
    (Audience.EVERYONE, Audience.QPV_RESIDENTS),
)
HONOUR_LOAN_OFFER = DemoOffer(
    "Prêt d'honneur et parrainage",
    Offer.Theme.FINANCING,
    (Stage.FINANCING, Stage.CREATION, Stage.POST_CREATION),
    "Étude du plan de financement, passage en comité d'agrément, prêt d'honneur à taux zéro, puis suivi et "
    "parrainage par un chef d'entreprise pendant les premières années.",
)

DEMO_STRUCTURES = (
    DemoStructure(
        "bge-hauts-de-france",
        "BGE Hauts-de-France",
        Structure.Network.BGE,
        HDF,
        "59350",
        "Rue de Tournai, Lille",
        "Réseau associatif d'appui aux créateurs : accueil, formation « Entreprendre », accompagnement du "
        f"projet et suivi après la création. {DEMO_NOTE}",
        "https://www.bge.asso.fr/",
        (
            COACHING,
            DemoOffer(
                "Ateliers « Je crée mon entreprise »",
                Offer.Theme.TRAINING,
                (Stage.AWARENESS, Stage.EMERGENCE),
                "Cycle d'ateliers collectifs en espace ressource : de l'idée au projet, statuts, premiers chiffres.",
                (Audience.EVERYONE, Audience.JOB_SEEKERS, Audience.QPV_RESIDENTS),
            ),
        ),
        (("mel-espace-ressource-lille-sud", TUE_THU), ("mel-espace-ressource-roubaix", WED)),
        organisation_name="BGE Hauts-de-France",
    ),
    DemoStructure(
        "initiative-lille-metropole-nord",
        "Initiative Lille Métropole Nord",
        Structure.Network.INITIATIVE,
        ("mel",),
        "59512",
        "Boulevard du Général Leclerc, Roubaix",
        f"Plateforme Initiative France : prêts d'honneur à taux zéro et parrainage pour créer ou reprendre. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
        (("mel-espace-ressource-hem", TUE_THU),),
    ),
    DemoStructure(
        "adie-hauts-de-france",
        "Adie Hauts-de-France",
        Structure.Network.ADIE,
        HDF,
        "59350",
        "Rue Nationale, Lille",
        "Microcrédit professionnel et accompagnement pour celles et ceux qui n'ont pas accès au crédit bancaire, "
        f"y compris les allocataires de minima sociaux. {DEMO_NOTE}",
        "https://www.adie.org/",
        (
            DemoOffer(
                "Microcrédit et accompagnement Adie",
                Offer.Theme.FINANCING,
                (Stage.FINANCING, Stage.CREATION, Stage.POST_CREATION),
                "Étude de la demande, microcrédit, prêt d'honneur complémentaire et suivi par un bénévole.",
                (Audience.EVERYONE, Audience.RSA_RECIPIENTS, Audience.JOB_SEEKERS, Audience.QPV_RESIDENTS),
                is_remote=True,
            ),
        ),
        (("mel-espace-ressource-lille-fives", WED), ("mel-espace-ressource-tourcoing", TUE_THU)),
    ),
    DemoStructure(
        "nord-actif",
        "France Active Hauts-de-France — Nord Actif",
        Structure.Network.FRANCE_ACTIVE,
        ("mel", "dunkerque"),
        "59350",
        "Rue du Molinel, Lille",
        "Association territoriale de France Active dans le Nord : garanties d'emprunt bancaire, prêts d'honneur et "
        f"« Pacte » de financement pour les créateurs, en particulier ceux des quartiers. {DEMO_NOTE}",
        "https://www.franceactive.org/",
        (
            DemoOffer(
                "Garantie et plan de financement",
                Offer.Theme.FINANCING,
                (Stage.FINANCING, Stage.CREATION),
                "Expertise du plan de financement, garantie France Active, mise en relation avec la banque.",
            ),
        ),
        (("mel-espace-ressource-wattignies", TUE_THU),),
    ),
    DemoStructure(
        "pas-de-calais-actif",
        "France Active Hauts-de-France — Pas-de-Calais Actif",
        Structure.Network.FRANCE_ACTIVE,
        PAS_DE_CALAIS,
        "62041",
        "Rue Émile Zola, Arras",
        f"Association territoriale de France Active dans le Pas-de-Calais : garanties et prêts d'honneur. {DEMO_NOTE}",
        "https://www.franceactive.org/",
        (
            DemoOffer(
                "Garantie et plan de financement",
                Offer.Theme.FINANCING,
                (Stage.FINANCING, Stage.CREATION),
                "Expertise du plan de financement, garantie France Active, mise en relation avec la banque.",
            ),
        ),
    ),
    DemoStructure(
        "cci-grand-lille",
        "CCI Grand Lille",
        Structure.Network.CCI,
        ("mel",),
        "59350",
        "Place du Théâtre, Lille",
        f"Chambre de commerce et d'industrie : formalités, formation « 5 jours pour entreprendre », reprise. {DEMO_NOTE}",
        "",
        (
            DemoOffer(
                "Formation « 5 jours pour entreprendre »",
                Offer.Theme.TRAINING,
                (Stage.STRUCTURING,),
                "Formation collective aux fondamentaux de la gestion d'une entreprise commerciale.",
                is_free=False,
                cost_details="Payante ; prise en charge possible (CPF, France Travail).",
            ),
            DemoOffer(
                "Formalités de création",
                Offer.Theme.FORMALITIES,
                (Stage.CREATION,),
                "Aide aux formalités sur le guichet unique des entreprises.",
                is_remote=True,
            ),
        ),
    ),
    DemoStructure(
        "cma-hauts-de-france",
        "CMA Hauts-de-France",
        Structure.Network.CMA,
        HDF,
        "59350",
        "Rue des Canonniers, Lille",
        f"Chambre de métiers et de l'artisanat : stage de préparation, immatriculation des artisans, reprise. {DEMO_NOTE}",
        "",
        (
            DemoOffer(
                "Parcours création artisanale",
                Offer.Theme.COACHING,
                (Stage.STRUCTURING, Stage.CREATION),
                "Entretien conseil, stage de préparation à l'installation, aide aux formalités des artisans.",
            ),
        ),
    ),
    DemoStructure(
        "entreprendre-ensemble-la-turbine",
        "Entreprendre Ensemble — La Turbine",
        Structure.Network.EMPLOYMENT_HOUSE,
        ("dunkerque",),
        "59183",
        "Place de l'Europe, Dunkerque",
        "Maison de l'emploi de l'agglomération dunkerquoise, qui anime La Turbine, la maison de l'entrepreneuriat "
        f"où la Fabrique à entreprendre accueille les porteurs de projet. {DEMO_NOTE}",
        "",
        (
            DemoOffer(
                "Accueil et orientation à La Turbine",
                Offer.Theme.INFORMATION,
                (Stage.AWARENESS, Stage.EMERGENCE),
                "Premier rendez-vous, diagnostic du projet et orientation vers le bon partenaire.",
                (Audience.EVERYONE, Audience.QPV_RESIDENTS),
            ),
            COACHING,
        ),
        (("dunkerque-la-turbine", "Du lundi au vendredi, 9 h – 17 h."), ("dunkerque-permanence-basse-ville", WED)),
    ),
    DemoStructure(
        "initiative-lens-lievin",
        "Initiative Lens-Liévin",
        Structure.Network.INITIATIVE,
        ("lens-lievin",),
        "62498",
        "Rue de la Gare, Lens",
        f"Plateforme Initiative France de l'agglomération de Lens-Liévin. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
        (("lens-lievin-lieu-totem-calonne", TUE_THU),),
    ),
    DemoStructure(
        "initiative-henin-carvin",
        "Initiative Hénin-Carvin",
        Structure.Network.INITIATIVE,
        ("henin-carvin",),
        "62427",
        "Place Jean Jaurès, Hénin-Beaumont",
        f"Plateforme Initiative France de l'agglomération d'Hénin-Carvin. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
        (("henin-carvin-lieu-totem-henin-beaumont", WED),),
    ),
    DemoStructure(
        "initiative-pays-de-saint-omer",
        "Initiative Pays de Saint-Omer",
        Structure.Network.INITIATIVE,
        ("saint-omer",),
        "62765",
        "Rue de Dunkerque, Saint-Omer",
        f"Plateforme Initiative France du Pays de Saint-Omer. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
        (("saint-omer-espace-ressource", TUE_THU),),
    ),
    DemoStructure(
        "initiative-boulonnais",
        "Initiative Boulonnais",
        Structure.Network.INITIATIVE,
        ("boulonnais",),
        "62160",
        "Boulevard Daunou, Boulogne-sur-Mer",
        f"Plateforme Initiative France du Boulonnais. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
        (("boulonnais-lieu-totem-damremont", WED),),
    ),
    DemoStructure(
        "initiative-ternois-artois-7-vallees",
        "Initiative Ternois-Artois-7 Vallées",
        Structure.Network.INITIATIVE,
        ("artois",),
        "",
        "",
        "Plateforme née en 2016 de la fusion d'Initiative Ternois-Artois et d'Initiative 7 Vallées, de Bapaume à "
        "Hesdin (365 communes). En 2016 : 126 porteurs accompagnés, 357 emplois, 867 000 € de prêts d'honneur, "
        "effet de levier bancaire de 1 à 11, 91 % de survie à trois ans. Elle tient des permanences au plus près "
        f"des créateurs. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (
            HONOUR_LOAN_OFFER,
            DemoOffer(
                "Parrainage par un chef d'entreprise",
                Offer.Theme.SPONSORSHIP,
                (Stage.CREATION, Stage.POST_CREATION),
                "Un chef d'entreprise bénévole accompagne le nouveau dirigeant pendant ses premières années.",
            ),
        ),
        (("artois-lieu-totem-bethune", TUE_THU),),
    ),
    DemoStructure(
        "alexis-lorraine",
        "Alexis Lorraine",
        Structure.Network.OTHER,
        ("grand-nancy",),
        "54395",
        "Rue de la Ravinelle, Nancy",
        f"Association lorraine d'accompagnement des créateurs et repreneurs d'entreprise. {DEMO_NOTE}",
        "",
        (COACHING,),
    ),
    DemoStructure(
        "initiative-grand-nancy",
        "Initiative Grand Nancy",
        Structure.Network.INITIATIVE,
        ("grand-nancy",),
        "54395",
        "Rue Saint-Georges, Nancy",
        f"Plateforme Initiative France de la métropole nancéienne. {DEMO_NOTE}",
        "https://www.initiative-france.fr/",
        (HONOUR_LOAN_OFFER,),
    ),
    DemoStructure(
        "france-active-lorraine",
        "France Active Lorraine",
        Structure.Network.FRANCE_ACTIVE,
        ("grand-nancy",),
        "54395",
        "Rue de Metz, Nancy",
        "Association territoriale de France Active ; anime avec Kèpos « Quartiers en transition » dans les "
        f"quartiers prioritaires du Grand Nancy depuis 2021. {DEMO_NOTE}",
        "https://www.franceactive.org/",
        (
            DemoOffer(
                "Garantie et plan de financement",
                Offer.Theme.FINANCING,
                (Stage.FINANCING, Stage.CREATION),
                "Expertise du plan de financement, garantie France Active, mise en relation avec la banque.",
            ),
        ),
        (("grand-nancy-quartiers-en-transition", WED),),
    ),
    DemoStructure(
        "kepos",
        "Kèpos — la Serre à projets",
        Structure.Network.THIRD_PLACE,
        ("grand-nancy",),
        "54395",
        "Avenue Raymond Pinchard, Nancy",
        "Lieu d'innovation sociale qui fait émerger des activités initiées par et pour les habitants des quartiers "
        f"(« Quartiers en transition », avec France Active Lorraine). {DEMO_NOTE}",
        "",
        (
            DemoOffer(
                "Quartiers en transition : de l'idée à l'activité",
                Offer.Theme.COACHING,
                (Stage.AWARENESS, Stage.EMERGENCE, Stage.STRUCTURING),
                "Repérage des besoins du quartier, ateliers d'idéation et accompagnement de projets collectifs.",
                (Audience.QPV_RESIDENTS,),
            ),
        ),
        (("grand-nancy-quartiers-en-transition", TUE_THU),),
    ),
)


@dataclass(frozen=True)
class DemoAid:
    slug: str
    name: str
    kind: AidScheme.Kind
    summary: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    operator: str | None = None  # structure slug
    coverage_epcis: tuple[str, ...] = ()  # SIREN, for an EPCI coverage
    coverage_fabriques: tuple[str, ...] = ()


def _eur(value: int) -> Decimal:
    return Decimal(value)


DEMO_AIDS = (
    DemoAid(
        "pret-honneur-initiative-france",
        "Prêt d'honneur Initiative France",
        AidScheme.Kind.HONOUR_LOAN,
        "Un prêt personnel à taux zéro, sans garantie, qui aide à obtenir un prêt bancaire.",
        "Accordé par une plateforme Initiative France après passage en comité, remboursable sur quelques années, "
        "avec un parrainage et un suivi. Montants moyens autour de 10 000 € ; plafonds selon les plateformes.",
        {
            "amount_min": _eur(1000),
            "amount_max": _eur(50000),
            "rate_percent": Decimal(0),
            "duration_months_max": 84,
            "stages": [Stage.FINANCING, Stage.CREATION],
            "project_kinds": BOTH,
            "source_url": "https://www.initiative-france.fr/",
            "is_illustrative": True,
        },
    ),
    DemoAid(
        "microcredit-adie",
        "Microcrédit professionnel Adie",
        AidScheme.Kind.MICRO_CREDIT,
        "Un microcrédit pour créer ou développer son activité quand la banque dit non.",
        "Pour les personnes sans accès au crédit bancaire, y compris au RSA ou au chômage ; accompagnement "
        "pendant toute la durée du prêt, possible à distance.",
        {
            "amount_max": _eur(12000),
            "duration_months_max": 48,
            "stages": [Stage.FINANCING, Stage.CREATION, Stage.POST_CREATION],
            "project_kinds": BOTH,
            "source_url": "https://www.adie.org/",
            "is_illustrative": True,
        },
        operator="adie-hauts-de-france",
    ),
    DemoAid(
        "pret-honneur-adie",
        "Prêt d'honneur Adie",
        AidScheme.Kind.HONOUR_LOAN,
        "Un prêt à taux zéro en complément du microcrédit Adie.",
        "Renforce les fonds propres du créateur en complément d'un microcrédit.",
        {
            "amount_max": _eur(6000),
            "rate_percent": Decimal(0),
            "stages": [Stage.FINANCING],
            "source_url": "https://www.adie.org/",
            "is_illustrative": True,
        },
        operator="adie-hauts-de-france",
    ),
    DemoAid(
        "garantie-france-active",
        "Garantie France Active",
        AidScheme.Kind.BANK_GUARANTEE,
        "France Active garantit une partie de votre prêt bancaire : moins de caution personnelle.",
        "La garantie couvre jusqu'à 80 % du prêt bancaire selon le projet, ce qui limite la caution personnelle "
        "demandée au créateur.",
        {
            "amount_max": _eur(45000),
            "stages": [Stage.FINANCING, Stage.CREATION],
            "project_kinds": BOTH,
            "source_url": "https://www.franceactive.org/",
            "is_illustrative": True,
        },
    ),
    DemoAid(
        "pacte-france-active",
        "Pacte Création France Active (prêt d'honneur solidaire)",
        AidScheme.Kind.HONOUR_LOAN,
        "Un prêt d'honneur à taux zéro et un accompagnement pour les créateurs éloignés du crédit.",
        "Le « Pacte » réunit conseil, prêt d'honneur solidaire et garantie ; destiné en particulier aux demandeurs "
        "d'emploi, aux allocataires de minima sociaux et aux habitants des quartiers prioritaires.",
        {
            "amount_max": _eur(8000),
            "rate_percent": Decimal(0),
            "duration_months_max": 60,
            "stages": [Stage.FINANCING, Stage.CREATION],
            "situations": [Situation.JOB_SEEKER, Situation.RSA],
            "source_url": "https://www.franceactive.org/",
            "is_illustrative": True,
        },
    ),
    DemoAid(
        "acre",
        "ACRE — aide aux créateurs et repreneurs d'entreprise",
        AidScheme.Kind.STATUS_AID,
        "Une exonération partielle de cotisations sociales pendant la première année d'activité.",
        "Réservée notamment aux demandeurs d'emploi indemnisés, aux allocataires du RSA ou de l'ASS, aux moins de "
        "26 ans et aux personnes qui créent leur entreprise dans un quartier prioritaire. Demande à faire auprès de "
        "l'Urssaf (automatique hors micro-entreprise).",
        {
            "duration_months_max": 12,
            "stages": [Stage.CREATION],
            "project_kinds": BOTH,
            "max_business_age_months": 12,
            "source_url": "https://www.service-public.fr/professionnels-entreprises/vosdroits/F11677",
        },
    ),
    DemoAid(
        "pret-honneur-reseau-entreprendre",
        "Prêt d'honneur Réseau Entreprendre",
        AidScheme.Kind.HONOUR_LOAN,
        "Un prêt d'honneur et l'accompagnement d'un chef d'entreprise pour les projets qui créent des emplois.",
        "Pour des projets à potentiel d'emplois, avec un accompagnement par un chef d'entreprise pendant deux "
        "à trois ans.",
        {
            "amount_min": _eur(15000),
            "amount_max": _eur(50000),
            "rate_percent": Decimal(0),
            "duration_months_max": 60,
            "stages": [Stage.FINANCING, Stage.CREATION],
            "project_kinds": BOTH,
            "source_url": "https://www.reseau-entreprendre.org/",
            "is_illustrative": True,
        },
    ),
    DemoAid(
        "pret-honneur-creation-reprise-bpifrance",
        "Prêt d'honneur création-reprise (Bpifrance)",
        AidScheme.Kind.HONOUR_LOAN,
        "Un prêt d'honneur abondé par Bpifrance, distribué par les réseaux d'accompagnement.",
        "Distribué par les réseaux partenaires (Initiative France, Réseau Entreprendre, France Active…) pour "
        "renforcer les fonds propres du créateur ou du repreneur.",
        {
            "amount_max": _eur(30000),
            "rate_percent": Decimal(0),
            "stages": [Stage.FINANCING],
            "project_kinds": BOTH,
            "source_url": "https://www.bpifrance.fr/",
            "is_illustrative": True,
        },
    ),
    DemoAid(
        "arce-france-travail",
        "ARCE — aide à la reprise ou à la création d'entreprise",
        AidScheme.Kind.STATUS_AID,
        "Une partie de vos droits au chômage versée en capital pour lancer votre entreprise.",
        "Les demandeurs d'emploi indemnisés qui créent ou reprennent une entreprise peuvent recevoir 60 % de leurs "
        "droits restants en deux versements, au lieu du maintien mensuel de l'allocation.",
        {
            "stages": [Stage.CREATION],
            "project_kinds": BOTH,
            "situations": [Situation.JOB_SEEKER],
            "source_url": "https://www.francetravail.fr/",
        },
    ),
    DemoAid(
        "pret-honneur-initiative-lille-metropole-nord",
        "Prêt d'honneur Initiative Lille Métropole Nord",
        AidScheme.Kind.HONOUR_LOAN,
        "Le prêt d'honneur de la plateforme Initiative de la métropole lilloise.",
        "Prêt personnel à taux zéro accordé en comité, avec parrainage ; bonification possible pour les projets "
        "installés dans les quartiers prioritaires.",
        {
            "amount_min": _eur(2000),
            "amount_max": _eur(15000),
            "rate_percent": Decimal(0),
            "duration_months_max": 60,
            "stages": [Stage.FINANCING, Stage.CREATION],
            "project_kinds": BOTH,
            "is_illustrative": True,
        },
        operator="initiative-lille-metropole-nord",
        coverage_epcis=("200093201",),
    ),
    DemoAid(
        "concours-open-cite",
        "Concours Open'cité",
        AidScheme.Kind.COMPETITION_PRIZE,
        "Un concours de pitch pour les créateurs des quartiers de la métropole lilloise.",
        "Les lauréats gagnent une dotation et un accompagnement ; l'occasion de présenter son projet devant des "
        "financeurs.",
        {
            "amount_max": _eur(5000),
            "stages": [Stage.EMERGENCE, Stage.STRUCTURING],
            "requires_qpv_residence": True,
            "is_illustrative": True,
        },
        coverage_fabriques=("mel",),
    ),
)


def _seed_structure(spec: DemoStructure, fabriques: dict[str, Fabrique], communes: dict[str, Commune]) -> bool:
    values: dict[str, Any] = {
        "name": spec.name,
        "network": spec.network,
        "description": spec.description,
        "website": spec.website,
        "street_address": spec.street_address,
        "commune": communes.get(spec.insee),
        "is_active": True,
        "is_demo": True,
    }
    served = [fabriques[slug] for slug in spec.fabriques if slug in fabriques]
    existing = Structure.objects.filter(slug=spec.slug).first()
    if existing is not None:
        services.structure_update(structure=existing, values=values)
        existing.organisation.fabriques.add(*served)
        structure, created = existing, False
    else:
        organisation = None
        if spec.organisation_name:
            organisation = Organisation.objects.filter(
                name=spec.organisation_name, kind=Organisation.Kind.SUPPORT_ACTOR, structure__isnull=True
            ).first()
        structure = services.structure_create(
            values={"slug": spec.slug, **values}, fabriques=served, organisation=organisation
        )
        created = True
    for offer_spec in spec.offers:
        offer_values = {
            "theme": offer_spec.theme,
            "description": offer_spec.description,
            "stages": list(offer_spec.stages),
            "audiences": list(offer_spec.audiences),
            "is_remote": offer_spec.is_remote,
            "is_free": offer_spec.is_free,
            "cost_details": offer_spec.cost_details,
            "is_active": True,
        }
        offer = Offer.objects.filter(structure=structure, title=offer_spec.title).first()
        if offer is None:
            services.offer_create(structure=structure, values={"title": offer_spec.title, **offer_values})
        else:
            services.offer_update(offer=offer, values=offer_values)
    places = {p.slug: p for p in Place.objects.filter(slug__in=[slug for slug, _ in spec.permanences])}
    for place_slug, schedule in spec.permanences:
        if place_slug in places:
            Permanence.objects.update_or_create(
                structure=structure, place=places[place_slug], defaults={"schedule": schedule, "is_active": True}
            )
    return created


def _seed_aid(spec: DemoAid, structures: dict[str, Structure], fabriques: dict[str, Fabrique]) -> bool:
    values: dict[str, Any] = {
        "name": spec.name,
        "kind": spec.kind,
        "summary": spec.summary,
        "description": spec.description,
        "operator": structures.get(spec.operator) if spec.operator else None,
        "is_active": True,
        "is_demo": True,
        **spec.values,
    }
    areas: dict[str, list[Any]] = {}
    if spec.coverage_epcis:
        values["coverage"] = AidScheme.Coverage.EPCI
        areas["coverage_epcis"] = list(EPCI.objects.filter(siren__in=spec.coverage_epcis))
    elif spec.coverage_fabriques:
        values["coverage"] = AidScheme.Coverage.FABRIQUE
        areas["coverage_fabriques"] = [fabriques[slug] for slug in spec.coverage_fabriques if slug in fabriques]
    else:
        values["coverage"] = AidScheme.Coverage.NATIONAL
    existing = AidScheme.objects.filter(slug=spec.slug).first()
    if existing is None:
        services.aid_scheme_create(values={"slug": spec.slug, **values}, coverage_areas=areas)
        return True
    services.aid_scheme_update(aid_scheme=existing, values=values, coverage_areas=areas)
    return False


def seed(out: TextIO) -> None:
    fabriques = {f.slug: f for f in Fabrique.objects.all()}
    communes = {c.insee: c for c in Commune.objects.filter(insee__in={s.insee for s in DEMO_STRUCTURES if s.insee})}
    created = sum(_seed_structure(spec, fabriques, communes) for spec in DEMO_STRUCTURES)
    out.write(f"Structures de démonstration : {created} créées, {len(DEMO_STRUCTURES) - created} déjà présentes.\n")
    structures = {s.slug: s for s in Structure.objects.filter(slug__in=[s.slug for s in DEMO_STRUCTURES])}
    created = sum(_seed_aid(spec, structures, fabriques) for spec in DEMO_AIDS)
    out.write(f"Aides de démonstration : {created} créées, {len(DEMO_AIDS) - created} déjà présentes.\n")
