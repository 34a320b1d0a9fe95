"""« Suis-je dans un quartier prioritaire ? »: the public page, with a fake BAN server on 127.0.0.1."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.test import Client

from territories.models import EPCI, AddressCheck
from territories.tasks import address_checks_verify_pending
from tests.conftest import client_on
from tests.fabrique.test_ui import assert_accessible_and_self_contained
from tests.territories.fake_ban import FakeBan, closed_port_url

pytestmark = pytest.mark.django_db

URL = "/quartiers/verifier-mon-adresse/"
DECLARE_URL = "/quartiers/verifier-mon-adresse/declarer/"
RESULT_URL = "/quartiers/verifier-mon-adresse/resultat/"
IN_QN05969M = {"lat": 50.667601, "lon": 3.196493}
HEM_CENTRE = {"lat": 50.65509, "lon": 3.19271}
HEM = {"citycode": "59299", "postcode": "59510", "label": "3 Rue de la Lionderie 59510 Hem"}
QN05969M_NAME = "Quartier Intercommunal Hautchamps Longchamp - Lionderie - 3 Baudets"


@pytest.fixture
def ban(settings):
    with FakeBan() as fake:
        settings.BAN_URL = fake.url
        settings.BAN_TIMEOUT_SECONDS = 0.5
        yield fake


@pytest.fixture
def ban_down(settings):
    settings.BAN_URL = closed_port_url()


def text(response) -> str:
    """The page's text, whitespace collapsed (templates wrap long sentences)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.parametrize("host", ["localhost", "lille.localhost"])
def test_the_form_is_french_and_accessible_on_every_portal(fabrique, host):
    response = client_on(host).get(URL)

    page = assert_accessible_and_self_contained(response)
    assert "Suis-je dans un quartier prioritaire ?" in text(response)
    assert {control.get("name") for control in page.controls} >= {"address", "postcode"}
    assert "Code postal" in text(response)


@pytest.mark.parametrize("host", ["localhost", "lille.localhost"])
def test_an_address_in_a_qpv_shows_the_qpv_with_date_and_source(fabrique, geography, ban, host):
    ban.found(**IN_QN05969M, **HEM)
    client = client_on(host)

    response = client.post(URL, {"address": "3 rue de la Lionderie", "postcode": "59 510"})

    assert response.status_code == 302
    assert response["Location"] == RESULT_URL  # no identifier in any URL
    result = client.get(RESULT_URL)
    assert_accessible_and_self_contained(result)
    assert f"Votre adresse est dans le quartier prioritaire {QN05969M_NAME} (QN05969M)" in text(result)
    assert "Vérifié avec la Base Adresse Nationale le" in text(result)
    assert "no-store" in result["Cache-Control"]
    check = AddressCheck.objects.get()
    assert (check.status, check.qpv.code) == (AddressCheck.Status.VERIFIED, "QN05969M")


def test_an_address_outside_every_qpv_says_so(geography, ban):
    ban.found(**HEM_CENTRE, **{**HEM, "label": "Place de la République 59510 Hem"})
    client = Client()

    client.post(URL, {"address": "place de la République", "postcode": "59510"})
    result = client.get(RESULT_URL)

    assert "Votre adresse n'est pas dans un quartier prioritaire (QPV)" in text(result)
    assert "Place de la République 59510 Hem" in text(result)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"address": "", "postcode": "59510"}, "Indiquez votre adresse."),
        ({"address": "3 rue de la Lionderie", "postcode": ""}, "Indiquez votre code postal."),
        ({"address": "3 rue de la Lionderie", "postcode": "5951O"}, "Le code postal compte 5 chiffres"),
        ({"address": "3 rue de la Lionderie", "postcode": "00000"}, "Ce code postal ne correspond à aucune commune."),
        ({"address": "x" * 201, "postcode": "59510"}, "L'adresse ne doit pas dépasser 200 caractères."),
        ({"address": " a ", "postcode": "59510"}, "L'adresse est trop courte"),
        ({"address": "3 rue\x00", "postcode": "59510"}, "Le caractère nul n’est pas autorisé."),
    ],
)
def test_bad_input_is_explained_in_french_without_asking_the_ban(geography, ban, data, message):
    response = Client().post(URL, data)

    assert_accessible_and_self_contained(response)
    assert message in text(response)
    assert ban.queries == []
    assert not AddressCheck.objects.exists()


def test_an_unknown_address_can_be_corrected_or_declared(geography, ban):
    ban.not_found()

    response = Client().post(URL, {"address": "999 allée imaginaire", "postcode": "59100"})

    assert_accessible_and_self_contained(response)
    assert "Nous n'avons pas trouvé cette adresse" in text(response)
    assert 'name="reason" value="not_found"' in response.content.decode()
    declaration = Client().post(
        DECLARE_URL, {"address": "999 allée imaginaire", "postcode": "59100", "reason": "not_found"}
    )
    assert_accessible_and_self_contained(declaration)
    assert "n'a pas été trouvée dans la Base Adresse Nationale" in text(declaration)


def test_when_the_ban_is_down_the_person_declares_and_the_retry_verifies_later(
    geography, ban_down, settings, django_capture_on_commit_callbacks
):
    client = Client()
    carried = {"address": "3 rue de la Lionderie", "postcode": "59510", "reason": "unavailable"}

    # 1. The BAN does not answer: no error page, the person is asked for their commune
    #    (59510 is the postcode of Hem and of Forest-sur-Marque).
    response = client.post(URL, {"address": "3 rue de la Lionderie", "postcode": "59510"})
    assert_accessible_and_self_contained(response)
    assert "momentanément indisponible" in text(response)
    assert "Forest-sur-Marque" in text(response)
    assert "Hem" in text(response)

    # 2. Then for their QPV among Hem's, "none" or "I don't know".
    response = client.post(DECLARE_URL, {**carried, "step": "commune", "commune": "59299"})
    page = assert_accessible_and_self_contained(response)
    answers = [control["value"] for control in page.controls if control.get("name") == "answer"]
    assert answers == ["QN05969M", "none", "unknown"]
    assert f"{QN05969M_NAME} (QN05969M)" in text(response)
    assert "Je ne sais pas" in text(response)

    # 3. The answer is stored as declared; its verification is sent after the commit.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(DECLARE_URL, {**carried, "step": "answer", "commune": "59299", "answer": "QN05969M"})
    assert len(callbacks) == 1
    assert response.status_code == 302
    result = client.get(response["Location"])
    assert f"Vous avez indiqué habiter le quartier prioritaire {QN05969M_NAME} (QN05969M)" in text(result)
    assert "Nous vérifierons votre adresse" in text(result)
    check = AddressCheck.objects.get()
    assert check.status == AddressCheck.Status.DECLARED
    assert check.declared_qpv.code == "QN05969M"
    assert check.verification_attempts == 1  # the job ran at once (eager), the BAN still down

    # 4. The BAN is back: the periodic retry verifies the declaration (once its backoff is over).
    AddressCheck.objects.update(checked_at=check.checked_at - datetime.timedelta(minutes=20))
    with FakeBan() as ban:
        settings.BAN_URL = ban.url
        ban.found(**IN_QN05969M, **HEM)
        assert address_checks_verify_pending() == 1
    check.refresh_from_db()
    assert (check.status, check.in_qpv, check.qpv.code) == (AddressCheck.Status.VERIFIED, True, "QN05969M")
    assert check.declared_answer == AddressCheck.Declared.QPV


def test_a_single_commune_goes_straight_to_the_qpv_choice(geography, ban_down):
    response = Client().post(URL, {"address": "12 rue de l'Épeule", "postcode": "59100"})

    page = assert_accessible_and_self_contained(response)
    answers = [control["value"] for control in page.controls if control.get("name") == "answer"]
    assert sorted(answers[:-2]) == ["QN05969M", "QN05980M", "QN05981M"]  # Roubaix's QPV, by name
    assert answers[-2:] == ["none", "unknown"]
    assert "Habitez-vous dans l'un des quartiers prioritaires de Roubaix ?" in text(response)


@pytest.mark.parametrize(("answer", "in_qpv"), [("none", False), ("unknown", None)])
def test_declaring_none_or_not_knowing(geography, ban_down, answer, in_qpv):
    client = Client()
    response = client.post(
        DECLARE_URL,
        {"address": "12 rue de l'Épeule", "postcode": "59100", "step": "answer", "commune": "59512", "answer": answer},
    )

    assert response.status_code == 302
    check = AddressCheck.objects.get()
    assert (check.status, check.in_qpv, check.declared_answer) == (AddressCheck.Status.DECLARED, in_qpv, answer)
    assert "Votre réponse est enregistrée" in text(client.get(RESULT_URL))


def test_a_qpv_of_another_commune_is_refused_in_french(geography, ban_down):
    response = Client().post(
        DECLARE_URL,
        # QN05971M is in Lille, not in Roubaix.
        {
            "address": "12 rue de l'Épeule",
            "postcode": "59100",
            "step": "answer",
            "commune": "59512",
            "answer": "QN05971M",
        },
    )

    assert_accessible_and_self_contained(response)
    assert "Ce quartier n'est pas dans votre commune" in text(response)
    assert not AddressCheck.objects.exists()


def test_a_commune_that_does_not_have_the_postcode_is_asked_again(geography, ban_down):
    response = Client().post(
        DECLARE_URL, {"address": "3 rue de la Lionderie", "postcode": "59510", "step": "commune", "commune": "59512"}
    )

    assert_accessible_and_self_contained(response)
    assert "Choisissez une des communes proposées." in text(response)


def test_a_tampered_declaration_falls_back_to_the_address_form(geography, ban_down):
    response = Client().post(DECLARE_URL, {"address": "", "postcode": "99999", "step": "answer"})

    assert_accessible_and_self_contained(response)
    assert "Indiquez votre adresse." in text(response)


def test_the_result_is_only_in_the_session_that_made_the_check(geography, ban):
    ban.found(**IN_QN05969M, **HEM)
    Client().post(URL, {"address": "3 rue de la Lionderie", "postcode": "59510"})

    response = Client().get(RESULT_URL)

    assert response.status_code == 302
    assert response["Location"] == URL


def test_the_result_says_when_the_commune_is_outside_the_fabrique(fabrique, other_fabrique, geography, ban):
    fabrique.perimeter.add(EPCI.objects.get(siren="200093201"))  # the MEL: Hem is in it
    ban.found(**IN_QN05969M, **HEM)
    outside = "ne fait pas partie du territoire"

    for host, shown in [("lille.localhost", False), ("dunkerque.localhost", True), ("localhost", False)]:
        client = client_on(host)
        client.post(URL, {"address": "3 rue de la Lionderie", "postcode": "59510"})
        assert (outside in text(client.get(RESULT_URL))) is shown, host


def test_declaring_needs_a_post(geography):
    assert Client().get(DECLARE_URL).status_code == 405
