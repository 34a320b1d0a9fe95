"""Accounts: e-mail login, sign-up with verification, roles as memberships, staff two-factor."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from fabrique.models import Membership, Organisation, Role, User
from tests.conftest import client_on
from tests.factories import DEFAULT_PASSWORD, FabriqueFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Nouvelle.Porteuse@Example.org",
    "password1": "un-mot-de-passe-solide",
    "password2": "un-mot-de-passe-solide",
}


def test_signup_on_a_fabrique_makes_a_holder_of_it_and_sends_verification(fabrique, other_fabrique):
    response = client_on("lille.localhost").post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email__iexact="nouvelle.porteuse@example.org")
    assert list(user.memberships.values_list("role", "fabrique")) == [(Role.HOLDER, fabrique.pk)]
    assert len(mail.outbox) == 1
    assert "lille.localhost" in mail.outbox[0].body  # the link points at the Fabrique's own host
    assert not EmailAddress.objects.get(user=user).verified


def test_signup_on_the_national_portal_grants_no_role():
    client_on("localhost").post("/accounts/signup/", SIGNUP)
    user = User.objects.get(email__iexact="nouvelle.porteuse@example.org")
    assert not user.memberships.exists()


def test_signup_with_mismatched_passwords_rerenders_in_french_and_creates_nothing(fabrique):
    response = client_on("lille.localhost").post("/accounts/signup/", {**SIGNUP, "password2": "autre-chose-123"})
    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe" in response.text
    assert not User.objects.exists()


def test_unverified_user_cannot_log_in(fabrique):
    user = UserFactory(email="a@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = client_on("lille.localhost").post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


def test_email_is_unique_whatever_the_case():
    UserFactory(email="jeanne@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create(email="JEANNE@example.org")


def test_one_person_can_hold_several_roles(fabrique, other_fabrique):
    user = UserFactory()
    structure = OrganisationFactory(fabriques=[fabrique])
    MembershipFactory(user=user, role=Role.HOLDER, fabrique=other_fabrique)
    MembershipFactory(user=user, role=Role.ADVISOR, fabrique=None, organisation=structure)
    assert set(user.memberships.values_list("role", flat=True)) == {Role.HOLDER, Role.ADVISOR}
    assert list(Membership.objects.for_fabrique(fabrique).values_list("role", flat=True)) == [Role.ADVISOR]


@pytest.mark.parametrize(
    ("role", "with_fabrique", "with_organisation"),
    [
        (Role.HOLDER, False, False),
        (Role.HOLDER, True, True),
        (Role.ADVISOR, True, False),
        (Role.TERRITORY_STAFF, False, False),
        (Role.FUNDER_STAFF, False, False),
        (Role.ADMIN, True, False),
    ],
)
def test_membership_shape_is_enforced_by_the_database(role, with_fabrique, with_organisation):
    user = UserFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(
            user=user,
            role=role,
            fabrique=FabriqueFactory() if with_fabrique else None,
            organisation=OrganisationFactory() if with_organisation else None,
        )


def test_membership_validation_explains_the_organisation_kind():
    membership = Membership(
        user=UserFactory(),
        role=Role.FUNDER_STAFF,
        organisation=OrganisationFactory(kind=Organisation.Kind.SUPPORT_ACTOR),
    )
    with pytest.raises(ValidationError) as error:
        membership.full_clean()
    assert "Financeur" in str(error.value.message_dict["organisation"])


def test_national_funder_sees_every_fabrique(fabrique):
    funder = OrganisationFactory(national_funder=True)
    MembershipFactory(role=Role.FUNDER_STAFF, fabrique=None, organisation=funder)
    assert Membership.objects.for_fabrique(fabrique).filter(role=Role.FUNDER_STAFF).count() == 1


def test_repeated_failed_logins_are_rate_limited(fabrique):
    user = UserFactory(email="cible@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_on("lille.localhost")
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "mauvais-mot-de-passe"})
    # past 5 failures for this account, even the right password is refused for a while, in French
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Trop de tentatives de connexion" in response.text
