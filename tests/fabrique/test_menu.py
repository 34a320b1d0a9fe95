"""The account menu offers each role its pages, at no query cost (roles come with the 2FA check)."""

import pytest
from django.urls import reverse

from tests.conftest import client_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("territory_staff", ["target_list", "catalogue:manage_curation"], ["catalogue:manage_structure_list"]),
        ("structure_manager", ["catalogue:manage_structure_list"], ["target_list"]),
        ("advisor", ["journeys:referral_list"], ["target_list", "journeys:my_journey"]),
        ("holder", ["journeys:my_journey"], ["target_list", "journeys:caseload"]),
    ],
)
def test_the_menu_follows_the_roles_held_in_this_fabrique(personas, fabrique, persona, shown, hidden):
    user = getattr(personas, persona)
    html = client_on("lille.localhost", user).get(reverse("eligibility:check")).content.decode()
    for name in shown:
        assert f'href="{reverse(name)}"' in html
    for name in hidden:
        assert f'href="{reverse(name)}"' not in html


def test_roles_in_another_fabrique_give_no_menu_entry(personas, other_fabrique):
    html = client_on("dunkerque.localhost", personas.territory_staff).get("/quartiers/verifier-mon-adresse/")
    assert f'href="{reverse("target_list")}"' not in html.content.decode()
