"""Demo data of the platform layer: the Fabriques of the source documents and one account per role.

People are fictitious; places and organisations follow the source documents
(`shared/seeds/`). Demo accounts exist only here, never in migrations.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from fabrique.models import Fabrique, FabriqueHost, FabriqueTarget, Membership, Organisation, Role, User
from territories.models import EPCI

DEMO_PASSWORD = "fabrique-demo-2026"
# Fixed so that the demo accounts' authenticator app keeps working across reseeds
# (base32; `manage.py demo_totp` prints the current codes).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_EMAIL_DOMAIN = "demo.fabrique.test"


@dataclass(frozen=True)
class DemoFabrique:
    slug: str
    name: str
    short_name: str
    tagline: str
    colour: str
    epci: tuple[tuple[str, str, str], ...]  # (SIREN, name, nature) from DGCL's 2026 list


DEMO_FABRIQUES = (
    DemoFabrique(
        "mel",
        "La Fabrique à entreprendre de la Métropole Européenne de Lille",
        "Fabrique MEL",
        "8 espaces ressources dans les quartiers, de l'idée à la création d'entreprise.",
        "#1f4e8c",
        (("200093201", "Métropole Européenne de Lille", "METRO"),),
    ),
    DemoFabrique(
        "dunkerque",
        "La Fabrique à entreprendre de la Communauté urbaine de Dunkerque",
        "Fabrique Dunkerque",
        "Au cœur de La Turbine, la maison de l'entrepreneuriat.",
        "#00606b",
        (("245900428", "CU de Dunkerque", "CU"),),
    ),
    DemoFabrique(
        "lens-lievin",
        "La Fabrique à entreprendre de Lens-Liévin",
        "Fabrique Lens-Liévin",
        "",
        "#7a3e00",
        (("246200364", "CA de Lens - Liévin", "CA"),),
    ),
    DemoFabrique(
        "henin-carvin",
        "La Fabrique à entreprendre d'Hénin-Carvin",
        "Fabrique Hénin-Carvin",
        "",
        "#6b2d5c",
        (("246200299", "CA d'Hénin-Carvin", "CA"),),
    ),
    DemoFabrique(
        "saint-omer",
        "La Fabrique à entreprendre du Pays de Saint-Omer",
        "Fabrique Saint-Omer",
        "",
        "#2f5d1e",
        (("200069037", "CA du Pays de Saint-Omer", "CA"),),
    ),
    DemoFabrique(
        "boulonnais",
        "La Fabrique à entreprendre du Boulonnais",
        "Fabrique Boulonnais",
        "",
        "#005a8c",
        (("246200729", "CA du Boulonnais", "CA"),),
    ),
    DemoFabrique(
        "artois",
        "La Fabrique à entreprendre de l'Artois",
        "Fabrique Artois",
        "",
        "#8c1f3a",
        (("200072460", "CA de Béthune-Bruay, Artois-Lys Romane", "CA"),),
    ),
    DemoFabrique(
        "grand-nancy",
        "La Fabrique à entreprendre du Grand Nancy",
        "Fabrique Grand Nancy",
        "Quartiers en transition : entreprendre près de chez soi.",
        "#4b3b8f",
        (("245400676", "Métropole du Grand Nancy", "METRO"),),
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: Role


DEMO_ACCOUNTS = (
    DemoAccount(f"porteur@{DEMO_EMAIL_DOMAIN}", "Samira", "Benali", Role.HOLDER),
    DemoAccount(f"conseiller@{DEMO_EMAIL_DOMAIN}", "Julien", "Dufresne", Role.ADVISOR),
    DemoAccount(f"responsable@{DEMO_EMAIL_DOMAIN}", "Nadia", "Lefebvre", Role.STRUCTURE_MANAGER),
    DemoAccount(f"territoire@{DEMO_EMAIL_DOMAIN}", "Thomas", "Vandamme", Role.TERRITORY_STAFF),
    DemoAccount(f"financeur@{DEMO_EMAIL_DOMAIN}", "Claire", "Moreau", Role.FUNDER_STAFF),
    DemoAccount(f"admin@{DEMO_EMAIL_DOMAIN}", "Paul", "Garnier", Role.ADMIN),
)


def _seed_fabrique(spec: DemoFabrique) -> Fabrique:
    fabrique, _ = Fabrique.objects.update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "short_name": spec.short_name,
            "tagline": spec.tagline,
            "primary_colour": spec.colour,
        },
    )
    fabrique.full_clean()
    FabriqueHost.objects.update_or_create(
        host=f"{spec.slug}.localhost", defaults={"fabrique": fabrique, "is_primary": True}
    )
    epcis = [
        EPCI.objects.get_or_create(siren=siren, defaults={"name": name, "nature": nature})[0]
        for siren, name, nature in spec.epci
    ]
    fabrique.perimeter.add(*epcis)
    return fabrique


def _seed_account(spec: DemoAccount) -> User:
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User.objects.create_user(spec.email, DEMO_PASSWORD, first_name=spec.first_name, last_name=spec.last_name)
    EmailAddress.objects.get_or_create(user=user, email=spec.email, defaults={"verified": True, "primary": True})
    if spec.role != Role.HOLDER and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def seed(out: TextIO) -> None:
    fabriques = {spec.slug: _seed_fabrique(spec) for spec in DEMO_FABRIQUES}
    mel = fabriques["mel"]
    # Targets of the MEL programme (seed 001): 1,100 holders in 3 years, ~70% reaching creation.
    for indicator, value in (
        (FabriqueTarget.Indicator.HOLDERS_SUPPORTED, Decimal(1100)),
        (FabriqueTarget.Indicator.CREATION_RATE, Decimal(70)),
    ):
        FabriqueTarget.objects.update_or_create(
            fabrique=mel,
            indicator=indicator,
            starts_on=datetime.date(2025, 1, 1),
            defaults={"value": value, "ends_on": datetime.date(2027, 12, 31)},
        )

    bge, _ = Organisation.objects.get_or_create(
        name="BGE Hauts-de-France", defaults={"kind": Organisation.Kind.SUPPORT_ACTOR}
    )
    bge.fabriques.add(*(f for slug, f in fabriques.items() if slug != "grand-nancy"))
    cdc_region, _ = Organisation.objects.get_or_create(
        name="Banque des Territoires — direction régionale Hauts-de-France",
        defaults={"kind": Organisation.Kind.FUNDER},
    )
    cdc_region.fabriques.add(*(f for slug, f in fabriques.items() if slug != "grand-nancy"))
    Organisation.objects.get_or_create(
        name="Caisse des Dépôts — Banque des Territoires",
        defaults={"kind": Organisation.Kind.FUNDER, "is_national": True},
    )

    where: dict[Role, dict[str, Any]] = {
        Role.HOLDER: {"fabrique": mel},
        Role.ADVISOR: {"organisation": bge},
        Role.STRUCTURE_MANAGER: {"organisation": bge},
        Role.TERRITORY_STAFF: {"fabrique": mel},
        Role.FUNDER_STAFF: {"organisation": cdc_region},
    }
    for spec in DEMO_ACCOUNTS:
        user = _seed_account(spec)
        if spec.role == Role.ADMIN:
            if not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            continue
        Membership.objects.get_or_create(user=user, role=spec.role, **where[spec.role])

    port = os.environ.get("PORT", "8000")
    out.write(f"Portail national : http://localhost:{port}/\n")
    out.write("Fabriques de démonstration :\n")
    for fabrique_spec in DEMO_FABRIQUES:
        out.write(f"  {fabrique_spec.short_name:<22} http://{fabrique_spec.slug}.localhost:{port}/\n")
    out.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :\n")
    for spec in DEMO_ACCOUNTS:
        out.write(f"  {spec.role.label:<32} {spec.email}\n")
    out.write(
        "Les comptes autres que porteur demandent un code à usage unique : "
        "`.venv/bin/python manage.py demo_totp` l'affiche.\n"
    )
