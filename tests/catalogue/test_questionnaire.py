"""« Quelle aide pour moi ? » end to end with the test client (no JavaScript), fake BAN on 127.0.0.1."""

from __future__ import annotations

import html
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from accompaniment.catalogue.models import AidScheme, CatalogueCuration
from accompaniment.catalogue.views.questionnaire import SESSION_KEY
from accompaniment.vocabulary import Audience, ProjectKind, Stage
from territories.models import AddressCheck
from tests.conftest import client_on
from tests.fabrique.test_ui import assert_accessible_and_self_contained
from tests.factories import (
    DEFAULT_PASSWORD,
    AidSchemeFactory,
    CommuneFactory,
    EPCIFactory,
    OfferFactory,
    QPVFactory,
    StructureFactory,
    UserFactory,
)
from tests.territories.fake_ban import FakeBan, closed_port_url

pytestmark = pytest.mark.django_db

URL = "/quelle-aide-pour-moi/"
RESULTS_URL = "/quelle-aide-pour-moi/resultats/"
FORGET_URL = "/quelle-aide-pour-moi/effacer/"
HOST = "lille.localhost"
POSTCODE = "99510"  # fictitious: never a real postcode, whatever geography is loaded
NBSP = "\u00a0"


def text(response) -> str:
    """The page's text, whitespace collapsed (templates wrap long sentences)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def section(page: str, start: str, end: str | None = None) -> str:
    tail = page.split(start, 1)[1]
    return tail.split(end, 1)[0] if end else tail


@pytest.fixture
def territory(fabrique):
    """An EPCI in `fabrique`'s perimeter with one commune of postcode POSTCODE and one QPV."""
    epci = EPCIFactory(siren="999700001", name="CA de Test")
    fabrique.perimeter.add(epci)
    commune = CommuneFactory(insee="99510", name="Testville", epci=epci, postal_codes=[POSTCODE])
    qpv = QPVFactory(code="QN99510M", name="Quartier des Tests", communes=[commune], epcis=[epci])
    return {"epci": epci, "commune": commune, "qpv": qpv}


@pytest.fixture
def catalogue(fabrique, territory):
    """Aids and structures of the Fabrique, some for the person below, some not."""
    AidSchemeFactory(honour_loan=True, name="Prêt d'honneur Quartiers", qpv_only=True, amount_min=None)
    AidSchemeFactory(name="Bourse jeunes", age_max=25)
    AidSchemeFactory(name="Aide à la reprise", project_kinds=[ProjectKind.TAKEOVER])
    local = AidSchemeFactory(name="Aide de la Fabrique", coverage=AidScheme.Coverage.FABRIQUE)
    local.coverage_fabriques.add(fabrique)
    hidden = AidSchemeFactory(name="Aide masquée")
    CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=hidden, is_hidden=True)
    AidSchemeFactory(name="Aide inactive", is_active=False)
    bge = StructureFactory(name="BGE Testville", email="contact@bge.example.org", fabriques=[fabrique])
    OfferFactory(structure=bge, title="Accompagnement au plan de financement", stages=[Stage.FINANCING])
    adie = StructureFactory(name="Adie Testville", phone="0320000000", fabriques=[fabrique])
    OfferFactory(structure=adie, title="Atelier des jeunes", stages=[Stage.FINANCING], audiences=[Audience.UNDER_26])
    StructureFactory(name="Structure d'ailleurs")  # serves no Fabrique


ANSWERS = {
    "postcode": POSTCODE,
    "lives_in_qpv": "yes",
    "situation": "job_seeker",
    "age": "34",
    "stage": Stage.FINANCING,
    "sector": "crafts",
    "project_kind": ProjectKind.CREATION,
}


@pytest.mark.parametrize("host", ["localhost", HOST])
def test_the_form_is_french_accessible_and_in_fieldsets(fabrique, host):
    response = client_on(host).get(URL)

    page = assert_accessible_and_self_contained(response)
    assert "Quelle aide pour moi ?" in text(response)
    for legend in ("Où j'habite", "Ma situation", "Mon projet"):
        assert legend in text(response)
    assert {c.get("name") for c in page.controls} >= {"postcode", "address", "lives_in_qpv", "age", "stage"}
    assert "no-store" in response["Cache-Control"]


def test_answers_give_matching_aids_and_structures_with_their_reasons(catalogue):
    client = client_on(HOST)

    response = client.post(URL, ANSWERS)

    assert response.status_code == 302
    assert response["Location"] == RESULTS_URL  # no answer in any URL
    result = client.get(RESULTS_URL)
    assert_accessible_and_self_contained(result)
    page = text(result)
    fitting = section(page, "aides pour vous", "aides qui ne vous correspondent pas")
    assert "Prêt d'honneur Quartiers" in fitting
    assert "Réservé aux habitants des quartiers prioritaires : c'est votre cas" in fitting
    assert "Jusqu'à 8 000 €" in fitting
    assert "Prêt à 0 %" in fitting
    raw = html.unescape(result.content.decode())  # text() collapses every space, non-breaking ones too
    assert f"Jusqu'à 8{NBSP}000{NBSP}€" in raw
    assert f"Prêt à 0{NBSP}%" in raw
    assert "Aide de la Fabrique" in fitting
    not_fitting = section(page, "aides qui ne vous correspondent pas", "structure")
    assert "Bourse jeunes" in not_fitting
    assert "Réservé aux moins de 26 ans : ce n'est pas votre cas" in not_fitting
    assert "Aide à la reprise" in not_fitting
    assert "Pour la reprise, pas la création : ce n'est pas votre cas" in not_fitting
    assert "Aide masquée" not in page
    assert "Aide inactive" not in page
    assert '<details class="disclosure">' in result.content.decode()  # collapsed, no JavaScript needed
    # Structures: BGE fits (financing stage), Adie's only offer is for the under 26.
    assert "BGE Testville" in section(page, "structure pour vous accompagner", "dont les offres")
    assert "Atelier des jeunes" in section(page, "dont les offres")
    assert "Structure d'ailleurs" not in page
    assert 'href="mailto:contact@bge.example.org"' in result.content.decode()
    assert "Prendre rendez-vous" in page
    assert f'href="/accounts/signup/?next={RESULTS_URL}"' in result.content.decode()
    assert not AddressCheck.objects.exists()  # no address given: nothing stored


def test_several_communes_share_the_postcode_the_form_asks_which(fabrique, territory):
    other = CommuneFactory(insee="99511", name="Autreville", epci=territory["epci"], postal_codes=[POSTCODE])
    client = client_on(HOST)

    response = client.post(URL, {"postcode": POSTCODE})

    assert response.status_code == 200
    assert "Plusieurs communes ont ce code postal : choisissez la vôtre." in text(response)
    assert "Autreville" in text(response)
    assert "Testville" in text(response)
    assert SESSION_KEY not in client.session
    response = client.post(URL, {"postcode": POSTCODE, "commune": other.insee})
    assert response.status_code == 302
    assert client.session[SESSION_KEY]["answers"]["commune_name"] == "Autreville"
    form = client.get(URL).content.decode()  # back to the form: the commune chosen is still chosen
    assert re.search(r'value="99511"[^>]*checked', form)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Indiquez votre code postal."),
        ({"postcode": "5910"}, "Le code postal compte 5 chiffres, par exemple 59100."),
        ({"postcode": "98765"}, "Ce code postal ne correspond à aucune commune."),
        ({"postcode": POSTCODE, "age": "trente"}, "Indiquez votre âge en chiffres, par exemple 32."),
        ({"postcode": POSTCODE, "age": "7"}, "L'âge doit être d'au moins 15 ans."),
        ({"postcode": POSTCODE, "birth_year": "1800"}, "Indiquez une année de naissance entre"),
        ({"postcode": POSTCODE, "age": "30", "birth_year": "1950"}, "ne concordent pas"),
        ({"postcode": POSTCODE, "stage": "licorne"}, "Choisissez une étape de la liste."),
        ({"postcode": POSTCODE, "lives_in_qpv": "peut-être"}, "Choisissez « oui », « non » ou « je ne sais pas »."),
        ({"postcode": POSTCODE, "business_age_months": "-3"}, "Le nombre de mois ne peut pas être négatif."),
        ({"postcode": POSTCODE, "address": "1"}, "L'adresse est trop courte"),
        ({"postcode": POSTCODE, "commune": "00000"}, "Choisissez une des communes proposées."),
    ],
)
def test_bad_input_is_rerendered_in_french_and_nothing_is_written(territory, data, error, settings):
    settings.BAN_URL = closed_port_url()
    client = client_on(HOST)

    response = client.post(URL, data)

    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in text(response)
    assert error in text(response)
    assert SESSION_KEY not in client.session
    assert not AddressCheck.objects.exists()
    assert all(SESSION_KEY not in session.get_decoded() for session in Session.objects.all())


def test_an_address_is_checked_with_the_ban(catalogue, territory, settings):
    with FakeBan() as ban:
        settings.BAN_URL = ban.url
        ban.found(lat=50.63, lon=3.05, citycode="99510", postcode=POSTCODE, label="3 rue des Tests 99510 Testville")
        client = client_on(HOST)
        answers = {**ANSWERS, "lives_in_qpv": "no", "address": "3 rue des Tests"}

        client.post(URL, answers)

    result = text(client.get(RESULTS_URL))
    assert "Oui, Quartier des Tests (vérifié avec la Base Adresse Nationale)" in result
    assert "Réservé aux habitants des quartiers prioritaires : c'est votre cas" in result
    check = AddressCheck.objects.get()
    assert (check.status, check.qpv, check.in_qpv) == (AddressCheck.Status.VERIFIED, territory["qpv"], True)


def test_when_the_ban_is_down_the_qpv_answer_falls_back_to_the_persons_own(catalogue, settings):
    settings.BAN_URL = closed_port_url()
    client = client_on(HOST)

    response = client.post(URL, {**ANSWERS, "lives_in_qpv": "unknown", "address": "3 rue des Tests"})

    assert response.status_code == 302
    result = text(client.get(RESULTS_URL))
    assert "La vérification de votre adresse est momentanément indisponible" in result
    assert "Réservé aux habitants des quartiers prioritaires (vérifiez votre adresse pour le savoir)" in result
    assert not AddressCheck.objects.exists()


def test_answers_are_kept_across_login(catalogue, fabrique):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_on(HOST)
    client.post(URL, ANSWERS)

    response = client.post(f"/accounts/login/?next={RESULTS_URL}", {"login": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response.wsgi_request.user == user
    result = client.get(RESULTS_URL)
    assert "Prêt d'honneur Quartiers" in text(result)
    assert "Créer mon compte" not in text(result)
    assert client.session[SESSION_KEY]["answers"]["age"] == 34
    # The form comes back filled in with the same answers.
    form = client.get(URL).content.decode()
    assert f'value="{POSTCODE}"' in form
    assert 'value="34"' in form


def test_answers_are_kept_across_sign_up_and_e_mail_confirmation(catalogue, fabrique):
    client = client_on(HOST)
    client.post(URL, ANSWERS)

    response = client.post(
        f"/accounts/signup/?next={RESULTS_URL}",
        {
            "email": "porteuse@example.org",
            "password1": "un-mot-de-passe-solide-1",
            "password2": "un-mot-de-passe-solide-1",
        },
    )
    assert response.status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body)
    assert link is not None
    client.post(link.group(1))  # confirming logs the person in, on the same browser

    result = client.get(RESULTS_URL)
    assert result.wsgi_request.user.email == "porteuse@example.org"
    assert "Prêt d'honneur Quartiers" in text(result)
    assert client.session[SESSION_KEY]["answers"]["stage"] == Stage.FINANCING


def test_results_without_answers_go_back_to_the_form_and_answers_can_be_erased(catalogue):
    client = client_on(HOST)
    assert client.get(RESULTS_URL)["Location"] == URL
    client.post(URL, ANSWERS)

    response = client.post(FORGET_URL)

    assert response["Location"] == URL
    assert SESSION_KEY not in client.session
    assert client.get(RESULTS_URL)["Location"] == URL


def test_national_portal_shows_national_aids_and_those_of_the_communes_territory(catalogue, territory, fabrique):
    epci_aid = AidSchemeFactory(name="Aide de l'agglomération", coverage=AidScheme.Coverage.EPCI)
    epci_aid.coverage_epcis.add(territory["epci"])
    elsewhere = AidSchemeFactory(name="Aide d'une autre agglomération", coverage=AidScheme.Coverage.EPCI)
    elsewhere.coverage_epcis.add(EPCIFactory(siren="999700002"))
    client = Client()  # the national portal

    client.post(URL, ANSWERS)
    result = client.get(RESULTS_URL)

    assert_accessible_and_self_contained(result)
    page = text(result)
    assert "Prêt d'honneur Quartiers" in page
    assert "Aide de l'agglomération" in page
    assert "Aide d'une autre agglomération" not in page
    assert "Aide de la Fabrique" not in page  # a Fabrique's own aid shows on its portal
    assert "BGE Testville" in page  # serves the Fabrique whose perimeter holds the commune
    assert "Structure d'ailleurs" not in page


def _catalogue_of(fabrique, size: int) -> None:
    for n in range(size):
        AidSchemeFactory(qpv_only=n % 2 == 0, age_max=25 if n % 3 == 0 else None)
        structure = StructureFactory(email=f"s{n}@example.org", fabriques=[fabrique])
        OfferFactory(structure=structure, stages=[Stage.FINANCING])
        OfferFactory(structure=structure, stages=[Stage.EMERGENCE], audiences=[Audience.UNDER_26])


@pytest.mark.parametrize("size", [1, 30])
def test_results_query_count_does_not_grow_with_the_catalogue(fabrique, territory, size, django_assert_num_queries):
    _catalogue_of(fabrique, size)
    client = client_on(HOST)
    client.post(URL, ANSWERS)

    # session, host → Fabrique (+ its perimeter), commune, aids, structures, their offers
    with django_assert_num_queries(QUERIES):
        response = client.get(RESULTS_URL)

    assert response.status_code == 200
    assert text(response).count("Prendre rendez-vous") == size + 1  # one per structure, and the menu's


QUERIES = 7
