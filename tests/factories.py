"""factory_boy factories: only required fields, variations as Traits."""

from __future__ import annotations

import datetime
from pathlib import Path

import factory
from allauth.mfa.models import Authenticator

from accompaniment.catalogue.models import AidScheme, Offer, Structure
from accompaniment.vocabulary import Stage
from fabrique.models import Fabrique, FabriqueHost, Membership, Organisation, Role, User
from territories.models import EPCI, QPV, Commune, Department, Place, Region

DEFAULT_PASSWORD = "mot-de-passe-de-test-1"


class EPCIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EPCI
        django_get_or_create = ("siren",)

    siren = factory.Sequence(lambda n: f"{200000000 + n:09d}")
    name = factory.Sequence(lambda n: f"Communauté d'agglomération {n}")
    nature = EPCI.Nature.CA


class FabriqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fabrique
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Fabrique à entreprendre {n}")
    short_name = factory.Sequence(lambda n: f"Fabrique {n}")
    slug = factory.Sequence(lambda n: f"fabrique-{n}")

    @factory.post_generation
    def host(obj: Fabrique, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            FabriqueHost.objects.create(fabrique=obj, host=extracted or f"{obj.slug}.localhost", is_primary=True)

    class Params:
        inactive = factory.Trait(is_active=False)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = Organisation.Kind.SUPPORT_ACTOR

    @factory.post_generation
    def fabriques(obj: Organisation, create: bool, extracted: list[Fabrique] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.fabriques.set(extracted)

    class Params:
        funder = factory.Trait(kind=Organisation.Kind.FUNDER, name=factory.Sequence(lambda n: f"Financeur {n}"))
        national_funder = factory.Trait(kind=Organisation.Kind.FUNDER, is_national=True)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        platform_admin = factory.Trait(is_staff=True, is_superuser=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.HOLDER
    fabrique = factory.SubFactory(FabriqueFactory)


def enrol_totp(user: User) -> Authenticator:
    """Give `user` a TOTP authenticator, as after a completed enrolment."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    return TOTP.activate(user, generate_totp_secret()).instance


# ------------------------------------------------------------------ geography and places
# Real QPV outlines for map and point-in-polygon tests: `qpv_from_file("QN05969M")`.
QPV_GEOJSON = Path(__file__).resolve().parent.parent / "territories" / "data" / "qpv_2024_59_62_54.geojson"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "32"
    name = "Hauts-de-France"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "59"
    name = "Nord"
    region = factory.SubFactory(RegionFactory)


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("insee",)

    insee = factory.Sequence(lambda n: f"99{n % 1000:03d}")  # 99xxx: never a real commune
    name = factory.Sequence(lambda n: f"Commune {n}")
    department = factory.SubFactory(DepartmentFactory)
    epci = factory.SubFactory(EPCIFactory)


def _square(lon: float, lat: float, half: float = 0.002) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "MultiPolygon", "coordinates": [[[*ring, ring[0]]]]}


def _bbox(geometry: dict) -> tuple[float, float, float, float]:
    positions = [p for polygon in geometry["coordinates"] for ring in polygon for p in ring]
    if geometry["type"] == "Polygon":
        positions = [p for ring in geometry["coordinates"] for p in ring]
    lons = [p[0] for p in positions]
    lats = [p[1] for p in positions]
    return min(lons), min(lats), max(lons), max(lats)


class QPVFactory(factory.django.DjangoModelFactory):
    """A QPV with a small square outline (about 300 m) unless `geometry` is given; its box follows."""

    class Meta:
        model = QPV
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"QN{n:05d}T")
    name = factory.Sequence(lambda n: f"Quartier {n}")
    department = factory.SubFactory(DepartmentFactory)
    geometry = factory.LazyFunction(lambda: _square(3.05, 50.63))
    min_longitude = factory.LazyAttribute(lambda o: _bbox(o.geometry)[0])
    min_latitude = factory.LazyAttribute(lambda o: _bbox(o.geometry)[1])
    max_longitude = factory.LazyAttribute(lambda o: _bbox(o.geometry)[2])
    max_latitude = factory.LazyAttribute(lambda o: _bbox(o.geometry)[3])

    @factory.post_generation
    def epcis(obj: QPV, create: bool, extracted: list[EPCI] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.epcis.add(*extracted)

    @factory.post_generation
    def communes(obj: QPV, create: bool, extracted: list[Commune] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.communes.add(*extracted)


def qpv_from_file(code: str, **kwargs: object) -> QPV:
    """The real QPV `code` from the shipped GeoJSON (official outline), made with QPVFactory."""
    import json

    with QPV_GEOJSON.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    feature = next(f for f in features if f["properties"]["code_qp"] == code)
    return QPVFactory(code=code, name=feature["properties"]["lib_qp"], geometry=feature["geometry"], **kwargs)


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Lieu {n}")
    slug = factory.Sequence(lambda n: f"lieu-{n}")
    kind = Place.Kind.RESOURCE_SPACE
    street_address = factory.Sequence(lambda n: f"{n} rue de la République")
    postal_code = "59000"
    commune = factory.SubFactory(CommuneFactory)

    class Params:
        labelled = factory.Trait(label_status=Place.LabelStatus.LABELLED, labelled_on=datetime.date(2024, 6, 1))


# ----------------------------------------------------------------------------- catalogue


class StructureFactory(factory.django.DjangoModelFactory):
    """A support actor; its organisation (same name) serves the Fabriques given as `fabriques`."""

    class Meta:
        model = Structure
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Structure d'accompagnement {n}")
    slug = factory.Sequence(lambda n: f"structure-{n}")
    network = Structure.Network.BGE
    organisation = factory.SubFactory(OrganisationFactory, name=factory.SelfAttribute("..name"))

    @factory.post_generation
    def fabriques(obj: Structure, create: bool, extracted: list[Fabrique] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.organisation.fabriques.add(*extracted)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    structure = factory.SubFactory(StructureFactory)
    title = factory.Sequence(lambda n: f"Accompagnement {n}")
    theme = Offer.Theme.COACHING
    stages = factory.LazyFunction(lambda: [Stage.EMERGENCE, Stage.STRUCTURING])


class AidSchemeFactory(factory.django.DjangoModelFactory):
    """A national aid unless told otherwise (coverage and its M2M are for the caller)."""

    class Meta:
        model = AidScheme

    name = factory.Sequence(lambda n: f"Aide {n}")
    slug = factory.Sequence(lambda n: f"aide-{n}")
    kind = AidScheme.Kind.GRANT
    summary = "Une aide pour créer son entreprise."
    coverage = AidScheme.Coverage.NATIONAL

    class Params:
        honour_loan = factory.Trait(
            kind=AidScheme.Kind.HONOUR_LOAN,
            name=factory.Sequence(lambda n: f"Prêt d'honneur {n}"),
            amount_min=1000,
            amount_max=8000,
            rate_percent=0,
        )
        qpv_only = factory.Trait(requires_qpv_residence=True)


# ------------------------------------------------------------------------- journeys (issue 5)
class HolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "journeys.Holder"

    fabrique = factory.SubFactory(FabriqueFactory)
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    email = factory.Sequence(lambda n: f"porteur{n}@example.test")
    birth_year = 1990


class SupportLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "journeys.SupportLink"

    holder = factory.SubFactory(HolderFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    origin = "registered"
    shares_file = True


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "journeys.Project"

    holder = factory.SubFactory(HolderFactory)
    title = factory.Sequence(lambda n: f"Projet {n}")
    sector = "food"


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "journeys.FollowUp"

    holder = factory.SubFactory(HolderFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    occurred_on = factory.LazyFunction(datetime.date.today)
    kind = "interview"
    summary = "Premier entretien : présentation du projet."


def holder_followed_by(fabrique: Fabrique, *organisations: Organisation, user: User | None = None, **fields: object):
    """A holder of `fabrique` followed by `organisations` (live links, sharing agreed)."""
    holder = HolderFactory(fabrique=fabrique, user=user, **fields)
    for organisation in organisations:
        SupportLinkFactory(holder=holder, organisation=organisation)
    return holder
