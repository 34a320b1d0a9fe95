"""Two-factor authentication: available to every user, required for staff roles."""

import pytest
from allauth.account.models import EmailAddress

from fabrique.models import Role
from tests.conftest import client_on
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganisationFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.django_db

TOTP_ENROLMENT = "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.STRUCTURE_MANAGER, Role.TERRITORY_STAFF, Role.FUNDER_STAFF])
def test_staff_role_without_totp_is_sent_to_enrolment(fabrique, role):
    if role in (Role.ADVISOR, Role.STRUCTURE_MANAGER):
        membership = MembershipFactory(role=role, fabrique=None, organisation=OrganisationFactory(fabriques=[fabrique]))
    elif role == Role.FUNDER_STAFF:
        membership = MembershipFactory(role=role, fabrique=None, organisation=OrganisationFactory(funder=True))
    else:
        membership = MembershipFactory(role=role, fabrique=fabrique)
    response = client_on("lille.localhost", membership.user).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(TOTP_ENROLMENT)
    assert "next=/" in response["Location"]


def test_platform_admin_without_totp_cannot_reach_admin():
    admin = UserFactory(platform_admin=True)
    response = client_on("localhost", admin).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(TOTP_ENROLMENT)


def _logged_in_through_the_form(user):
    """Log in for real, not with force_login, as allauth records how the user authenticated."""
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    client = client_on("lille.localhost")
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client, response


def _reauthenticate(client):
    """allauth asks for the password again before enrolment (sensitive change)."""
    assert client.get(TOTP_ENROLMENT)["Location"].startswith("/accounts/reauthenticate/")
    response = client.post("/accounts/reauthenticate/", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def test_staff_login_leads_to_a_reachable_enrolment_page(fabrique):
    membership = MembershipFactory(role=Role.TERRITORY_STAFF, fabrique=fabrique)
    client, response = _logged_in_through_the_form(membership.user)
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith(TOTP_ENROLMENT)
    _reauthenticate(client)
    enrolment = client.get(TOTP_ENROLMENT)
    assert enrolment.status_code == 200
    assert "data:image/svg+xml;base64," in enrolment.text  # the QR code, an SVG served inline


def test_staff_with_totp_goes_through(fabrique):
    membership = MembershipFactory(role=Role.TERRITORY_STAFF, fabrique=fabrique)
    enrol_totp(membership.user)
    assert client_on("lille.localhost", membership.user).get("/").status_code == 200


def test_inactive_staff_membership_does_not_require_totp(fabrique):
    membership = MembershipFactory(role=Role.TERRITORY_STAFF, fabrique=fabrique, is_active=False)
    assert client_on("lille.localhost", membership.user).get("/").status_code == 200


def test_holder_is_not_forced_but_may_enrol(fabrique):
    holder = MembershipFactory(role=Role.HOLDER, fabrique=fabrique).user
    client, _ = _logged_in_through_the_form(holder)
    assert client.get("/").status_code == 200
    _reauthenticate(client)
    assert client.get(TOTP_ENROLMENT).status_code == 200


def test_login_of_enrolled_user_asks_for_the_code(fabrique):
    membership = MembershipFactory(role=Role.TERRITORY_STAFF, fabrique=fabrique)
    user = membership.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    enrol_totp(user)
    response = client_on("lille.localhost").post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
