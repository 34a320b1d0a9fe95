"""factory_boy factories: only required fields, variations as Traits."""

from __future__ import annotations

import factory
from allauth.mfa.models import Authenticator

from fabrique.models import Fabrique, FabriqueHost, Membership, Organisation, Role, User
from territories.models import EPCI

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
