"""Demo places of the Fabriques of the source documents (`shared/seeds/`), seeded by `manage.py seed_demo`.

What the seeds say: the MEL runs 8 *espaces ressources* hosted by existing structures (4 in
Lille, 1 each in Wattignies, Hem, Roubaix and Tourcoing) and aims at 20 labelled *lieux
totems* in its QPV (seed 001); in Dunkirk the Fabrique opens inside the entrepreneurship
house *La Turbine*, "en quartier politique de la ville" (seed 000); it already covers
Pas-de-Calais agglomerations (Artois, Lens-Liévin, Hénin-Carvin, Saint-Omer, Boulogne-sur-Mer);
Kèpos and France Active Lorraine run *Quartiers en transition* in the Grand Nancy's QPV since
2021 (seed 002).

What they do not say — host structures, street addresses, opening hours, label dates — is
illustrative, and each description says so. Coordinates are chosen inside the right commune:
for a place meant to be in a QPV, a point inside that QPV's official outline (single-commune
QPV where possible); the QPV itself is then derived by `place_locate`, never typed in.
Idempotent: places are matched by slug.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TextIO

from territories.models import Commune, Place
from territories.places import place_update_or_create

ILLUSTRATIVE = "Structure d'accueil, adresse et horaires indicatifs (données de démonstration)."
HOURS_WEEKDAYS = "Du lundi au vendredi, 9 h – 12 h 30 et 13 h 30 – 17 h.\nAccueil sans rendez-vous le mardi matin."
HOURS_PERMANENCE = "Permanences les mardis et jeudis, 14 h – 17 h, sur rendez-vous ou sans."


@dataclass(frozen=True)
class DemoPlace:
    slug: str
    name: str
    kind: Place.Kind
    insee: str
    street_address: str
    postal_code: str
    latitude: float
    longitude: float
    description: str
    # Expected QPV code (checked by the tests against the official outlines), None: outside every QPV.
    qpv: str | None
    label_status: Place.LabelStatus = Place.LabelStatus.NONE
    labelled_on: datetime.date | None = None
    opening_hours: str = HOURS_WEEKDAYS
    step_free_access: bool | None = True
    accessible_toilets: bool | None = None
    accessibility_notes: str = ""


LABELLED = Place.LabelStatus.LABELLED
CANDIDATE = Place.LabelStatus.CANDIDATE

DEMO_PLACES = (
    # ---------------------------------------------------------------- MEL (seed 001)
    DemoPlace(
        "mel-espace-ressource-lille-sud",
        "Espace ressource Lille-Sud",
        Place.Kind.RESOURCE_SPACE,
        "59350",
        "83 rue du Faubourg des Postes",
        "59000",
        50.612903,
        3.050105,
        "Un des quatre espaces ressources lillois de la Fabrique à entreprendre, accueilli dans un centre "
        "social du quartier : information, premier rendez-vous et orientation vers les acteurs de "
        f"l'accompagnement. {ILLUSTRATIVE}",
        "QN05972M",
        LABELLED,
        datetime.date(2020, 1, 15),
        accessible_toilets=True,
    ),
    DemoPlace(
        "mel-espace-ressource-lille-moulins",
        "Espace ressource Lille-Moulins",
        Place.Kind.RESOURCE_SPACE,
        "59350",
        "120 rue d'Arras",
        "59000",
        50.6215,
        3.0655,
        f"Espace ressource de la Fabrique à entreprendre au cœur de Moulins, dans une maison de quartier. {ILLUSTRATIVE}",
        "QN05972M",
        LABELLED,
        datetime.date(2020, 1, 15),
        accessible_toilets=False,
        accessibility_notes="Une marche de 5 cm à l'entrée ; rampe amovible sur demande à l'accueil.",
    ),
    DemoPlace(
        "mel-espace-ressource-lille-fives",
        "Espace ressource Lille-Fives",
        Place.Kind.RESOURCE_SPACE,
        "59350",
        "12 rue Pierre Legrand",
        "59800",
        50.632626,
        3.091466,
        f"Espace ressource de la Fabrique à entreprendre à Fives, accueilli par une structure de l'emploi. {ILLUSTRATIVE}",
        "QN05973M",
        LABELLED,
        datetime.date(2020, 3, 2),
        accessible_toilets=True,
    ),
    DemoPlace(
        "mel-espace-ressource-lille-wazemmes",
        "Espace ressource Lille-Wazemmes",
        Place.Kind.RESOURCE_SPACE,
        "59350",
        "Place de la Nouvelle Aventure",
        "59000",
        50.6245,
        3.0525,
        "Espace ressource proche des quartiers prioritaires du sud et de l'ouest de Lille, sans en faire "
        f"partie. {ILLUSTRATIVE}",
        None,
        CANDIDATE,
        opening_hours=HOURS_PERMANENCE,
        step_free_access=None,
    ),
    DemoPlace(
        "mel-espace-ressource-wattignies",
        "Espace ressource Wattignies — Blanc Riez",
        Place.Kind.RESOURCE_SPACE,
        "59648",
        "2 rue du Blanc Riez",
        "59139",
        50.5896,
        3.0434,
        "Espace ressource de la Fabrique à entreprendre dans le quartier du Blanc Riez, en renouvellement "
        f"urbain. {ILLUSTRATIVE}",
        "QN05987M",
        LABELLED,
        datetime.date(2020, 6, 8),
        accessible_toilets=True,
    ),
    DemoPlace(
        "mel-espace-ressource-hem",
        "Espace ressource Hem — Lionderie",
        Place.Kind.RESOURCE_SPACE,
        "59299",
        "15 rue de la Lionderie",
        "59510",
        50.659929,
        3.191383,
        "Espace ressource de la Fabrique à entreprendre pour le quartier intercommunal Hauts-Champs, "
        f"Longchamp, Lionderie et Trois Baudets. {ILLUSTRATIVE}",
        "QN05969M",
        LABELLED,
        datetime.date(2020, 6, 8),
    ),
    DemoPlace(
        "mel-espace-ressource-roubaix",
        "Espace ressource Roubaix — Pile",
        Place.Kind.RESOURCE_SPACE,
        "59512",
        "40 boulevard de Belfort",
        "59100",
        50.6835,
        3.183,
        f"Espace ressource de la Fabrique à entreprendre près du quartier de la Pile. {ILLUSTRATIVE}",
        "QN05980M",
        LABELLED,
        datetime.date(2020, 3, 2),
        accessible_toilets=True,
    ),
    DemoPlace(
        "mel-espace-ressource-tourcoing",
        "Espace ressource Tourcoing — La Bourgogne",
        Place.Kind.RESOURCE_SPACE,
        "59599",
        "1 rue de Bourgogne",
        "59200",
        50.7388,
        3.1807,
        f"Espace ressource de la Fabrique à entreprendre dans le quartier de la Bourgogne. {ILLUSTRATIVE}",
        "QN05985M",
        CANDIDATE,
        accessibility_notes="Ascenseur pour le premier étage ; interprète LSF sur demande une semaine avant.",
    ),
    DemoPlace(
        "mel-lieu-totem-loos-oliveaux",
        "Lieu totem des Oliveaux",
        Place.Kind.LIEU_TOTEM,
        "59360",
        "Rue des Oliveaux",
        "59120",
        50.609161,
        3.003395,
        f"Un des lieux totems que la MEL veut labelliser dans ses quartiers prioritaires (20 à terme). {ILLUSTRATIVE}",
        "QN05975M",
        CANDIDATE,
        opening_hours=HOURS_PERMANENCE,
    ),
    # ------------------------------------------------------- Dunkerque (seed 000)
    DemoPlace(
        "dunkerque-la-turbine",
        "La Turbine — maison de l'entrepreneuriat",
        Place.Kind.ENTREPRENEURSHIP_HOUSE,
        "59271",
        "Place de l'Europe",
        "59760",
        51.0167,
        2.3083,
        "La maison de l'entrepreneuriat de la Communauté urbaine de Dunkerque, en quartier politique de la "
        "ville, où s'est installée la Fabrique à entreprendre en décembre 2016. Commune, adresse, horaires et "
        "date de label indicatifs (données de démonstration).",
        "QN05963M",
        LABELLED,
        datetime.date(2016, 12, 1),
        accessible_toilets=True,
    ),
    DemoPlace(
        "dunkerque-permanence-basse-ville",
        "Permanence de la Basse Ville",
        Place.Kind.PERMANENCE_SITE,
        "59183",
        "Rue de Soubise",
        "59140",
        51.029,
        2.3777,
        f"Permanence de la Fabrique à entreprendre dans le quartier Soubise - Basse Ville. {ILLUSTRATIVE}",
        "QN05962M",
        opening_hours=HOURS_PERMANENCE,
        step_free_access=None,
    ),
    # ----------------------------------------------- Pas-de-Calais (seed 000)
    DemoPlace(
        "lens-lievin-permanence-lens",
        "Permanence de Lens centre",
        Place.Kind.PERMANENCE_SITE,
        "62498",
        "Boulevard Émile Basly",
        "62300",
        50.43764,
        2.82126,
        "Permanence de la Fabrique à entreprendre de Lens-Liévin en centre-ville, hors quartier prioritaire, "
        f"à quelques minutes des cités. {ILLUSTRATIVE}",
        None,
        opening_hours=HOURS_PERMANENCE,
    ),
    DemoPlace(
        "lens-lievin-lieu-totem-calonne",
        "Lieu totem de Liévin — Calonne",
        Place.Kind.LIEU_TOTEM,
        "62510",
        "Rue de Calonne",
        "62800",
        50.426,
        2.7605,
        f"Lieu totem labellisé de la Fabrique à entreprendre de Lens-Liévin. {ILLUSTRATIVE}",
        "QN06228M",
        LABELLED,
        datetime.date(2017, 5, 15),
    ),
    DemoPlace(
        "henin-carvin-lieu-totem-henin-beaumont",
        "Lieu totem d'Hénin-Beaumont",
        Place.Kind.LIEU_TOTEM,
        "62427",
        "Rue Jean Macé",
        "62110",
        50.4108,
        2.9313,
        f"Lieu totem de la Fabrique à entreprendre d'Hénin-Carvin, quartier Macé - Darcy. {ILLUSTRATIVE}",
        "QN06241M",
        LABELLED,
        datetime.date(2017, 9, 4),
    ),
    DemoPlace(
        "saint-omer-espace-ressource",
        "Espace ressource du Pays de Saint-Omer",
        Place.Kind.RESOURCE_SPACE,
        "62765",
        "Quai du Commerce",
        "62500",
        50.7534,
        2.2594,
        "Espace ressource de la Fabrique à entreprendre du Pays de Saint-Omer, où a été lancée une coopérative "
        f"jeunesse de services (Saint-Omer et Arques). {ILLUSTRATIVE}",
        "QN06237M",
        CANDIDATE,
    ),
    DemoPlace(
        "boulonnais-lieu-totem-damremont",
        "Lieu totem du Boulonnais — Damrémont",
        Place.Kind.LIEU_TOTEM,
        "62160",
        "Rue Damrémont",
        "62200",
        50.7171,
        1.6022,
        f"Lieu totem de la Fabrique à entreprendre du Boulonnais. {ILLUSTRATIVE}",
        "QN06249M",
        LABELLED,
        datetime.date(2018, 2, 12),
    ),
    DemoPlace(
        "artois-lieu-totem-bethune",
        "Lieu totem de Béthune — Mont-Liébaut",
        Place.Kind.LIEU_TOTEM,
        "62119",
        "Rue du Mont-Liébaut",
        "62400",
        50.5179,
        2.6287,
        f"Lieu totem de la Fabrique à entreprendre de l'Artois (Béthune-Bruay). {ILLUSTRATIVE}",
        "QN06208M",
        LABELLED,
        datetime.date(2017, 11, 20),
        accessible_toilets=True,
    ),
    # ---------------------------------------------------- Grand Nancy (seed 002)
    DemoPlace(
        "grand-nancy-quartiers-en-transition",
        "Quartiers en transition — Plateau de Haye",
        Place.Kind.THIRD_PLACE,
        "54395",
        "Avenue Raymond Pinchard",
        "54100",
        48.70131,
        6.160154,
        "Antenne « Quartiers en transition » de la Serre à projets de Kèpos et France Active Lorraine, "
        "ouverte en 2021 dans les quartiers prioritaires de la Métropole du Grand Nancy : des activités "
        f"initiées par et pour les habitants. {ILLUSTRATIVE}",
        "QN05415M",
        opening_hours=HOURS_PERMANENCE,
    ),
)


def seed(out: TextIO) -> None:
    communes = {c.insee: c for c in Commune.objects.filter(insee__in={p.insee for p in DEMO_PLACES})}
    if not communes:
        out.write(
            "Lieux de démonstration non créés : la géographie officielle n'est pas chargée "
            "(lancez `.venv/bin/python manage.py load_geography`, puis `seed_demo` à nouveau).\n"
        )
        return
    created = updated = 0
    missing: list[str] = []
    for spec in DEMO_PLACES:
        commune = communes.get(spec.insee)
        if commune is None:
            missing.append(f"{spec.name} (commune {spec.insee})")
            continue
        _, was_created = place_update_or_create(
            slug=spec.slug,
            values={
                "name": spec.name,
                "kind": spec.kind,
                "description": spec.description,
                "street_address": spec.street_address,
                "postal_code": spec.postal_code,
                "commune": commune,
                "latitude": spec.latitude,
                "longitude": spec.longitude,
                "opening_hours": spec.opening_hours,
                "step_free_access": spec.step_free_access,
                "accessible_toilets": spec.accessible_toilets,
                "accessibility_notes": spec.accessibility_notes,
                "label_status": spec.label_status,
                "labelled_on": spec.labelled_on,
                "is_active": True,
            },
        )
        created += was_created
        updated += not was_created
    out.write(f"Lieux de démonstration : {created} créés, {updated} déjà présents (mis à jour si besoin).\n")
    if missing:
        out.write("Lieux ignorés, commune absente de la géographie chargée : " + ", ".join(missing) + ".\n")
