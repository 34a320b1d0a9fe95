"""The holder's space (`/mon-parcours/`) end to end with the test client; fake BAN on 127.0.0.1."""

from __future__ import annotations

import datetime
import html
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accompaniment.catalogue.matching import Answers
from accompaniment.catalogue.views.questionnaire import SESSION_KEY
from accompaniment.journeys.holders import holder_file_for_account
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    Holder,
    JourneyState,
    PostCreationCheck,
    Project,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)
from accompaniment.journeys.projects import project_create, project_transition
from fabrique.models import Role
from territories.models import AddressCheck
from tests.conftest import client_on
from tests.fabrique.test_ui import assert_accessible_and_self_contained
from tests.factories import (
    CommuneFactory,
    EPCIFactory,
    FollowUpFactory,
    MembershipFactory,
    PlaceFactory,
    QPVFactory,
    holder_followed_by,
)
from tests.territories.fake_ban import FakeBan, closed_port_url

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
OTHER_HOST = "dunkerque.localhost"
JOURNEY = "/mon-parcours/"
PROFILE = "/mon-parcours/profil/"
NEW_PROJECT = "/mon-parcours/projets/nouveau/"
STRUCTURES = "/mon-parcours/structures/"
MY_DATA = "/mon-parcours/mes-donnees/"
POSTCODE = "99510"  # fictitious, whatever geography is loaded
SHARED_POSTCODE = "99520"  # two communes share it


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def edit_url(project: Project) -> str:
    return f"/mon-parcours/projets/{project.pk}/modifier/"


@pytest.fixture
def territory(fabrique):
    """An EPCI of `fabrique`'s perimeter: Testville (one QPV), and two communes sharing a postcode."""
    epci = EPCIFactory(siren="999700011", name="CA de Test")
    fabrique.perimeter.add(epci)
    commune = CommuneFactory(insee="99510", name="Testville", epci=epci, postal_codes=[POSTCODE])
    qpv = QPVFactory(code="QN99510M", name="Quartier des Tests", communes=[commune], epcis=[epci])
    north = CommuneFactory(insee="99521", name="Nordville", epci=epci, postal_codes=[SHARED_POSTCODE])
    south = CommuneFactory(insee="99522", name="Sudville", epci=epci, postal_codes=[SHARED_POSTCODE])
    return {"epci": epci, "commune": commune, "qpv": qpv, "north": north, "south": south}


@pytest.fixture
def holder_file(personas, fabrique) -> Holder:
    holder = holder_file_for_account(personas.holder, fabrique)
    holder.first_name, holder.last_name = "Samira", "Benali"
    holder.save()
    return holder


@pytest.fixture
def client(personas):
    return client_on(HOST, personas.holder)


PROFILE_DATA = {
    "first_name": "Samira",
    "last_name": "Benali",
    "phone": "06 12 34 56 78",
    "birth_year": "1990",
    "gender": "woman",
    "situation": "job_seeker",
    "education_level": "bac",
    "street_address": "",
    "postcode": POSTCODE,
    "commune": "",
    "lives_in_qpv": "yes",
    "qpv": "",
    "contact_by_email": "on",
}


# --------------------------------------------------------------------------------- access
@pytest.mark.parametrize("url", [JOURNEY, PROFILE, NEW_PROJECT, STRUCTURES, MY_DATA])
def test_anonymous_is_sent_to_login_and_staff_get_404(url, personas):
    anonymous = client_on(HOST).get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    for user in (personas.advisor, personas.territory_staff, personas.admin, personas.other_fabrique_user):
        assert client_on(HOST, user).get(url).status_code == 404
    # The national portal has no holder space.
    assert client_on("localhost", personas.holder).get(url).status_code == 404


def test_a_holder_of_another_fabrique_gets_404_and_no_file_is_made(personas, other_fabrique):
    elsewhere = MembershipFactory(role=Role.HOLDER, fabrique=other_fabrique).user
    assert client_on(HOST, elsewhere).get(JOURNEY).status_code == 404
    assert not Holder.objects.filter(user=elsewhere).exists()


def test_another_holders_project_is_a_404_and_stays_unchanged(client, holder_file, fabrique):
    neighbour = holder_followed_by(fabrique)
    theirs = project_create(holder=neighbour, title="Leur projet", by=None)

    assert client.get(edit_url(theirs)).status_code == 404
    assert client.post(edit_url(theirs), {"title": "Volé", "kind": "creation", "legal_form": "micro"}).status_code == (
        404
    )
    theirs.refresh_from_db()
    assert theirs.title == "Leur projet"


# ----------------------------------------------------------------------------- my journey
def test_first_visit_creates_the_file_and_invites_to_describe_a_project(client, personas, fabrique):
    response = client.get(JOURNEY)

    assert_accessible_and_self_contained(response)
    holder = Holder.objects.get(user=personas.holder, fabrique=fabrique)
    assert holder.email == personas.holder.email
    assert "Décrire mon projet" in text(response)
    assert "Aucune structure ne vous suit pour l'instant" in text(response)
    assert "no-store" in response["Cache-Control"]


def test_my_journey_shows_stage_next_steps_referents_and_documents(client, holder_file, personas):
    holder_file.links.create(organisation=personas.structure, origin="holder", referent=personas.advisor)
    project = project_create(holder=holder_file, title="Food truck", by=None, sector="food")
    project_transition(project, "start_emergence", by=personas.advisor, organisation=personas.structure)
    project_transition(project, "start_structuring", by=personas.advisor, organisation=personas.structure)
    FollowUpFactory(
        holder=holder_file,
        project=project,
        organisation=personas.structure,
        summary="Compte rendu confidentiel",
        next_step="Apporter le prévisionnel",
        next_step_due=datetime.date(2030, 5, 4),
        is_shared=True,
    )
    FollowUpFactory(
        holder=holder_file,
        project=project,
        organisation=personas.structure,
        next_step="Note privée du conseiller",
        is_shared=False,
    )
    personas.advisor.first_name, personas.advisor.last_name = "Julien", "Dufresne"
    personas.advisor.save()

    response = client.get(JOURNEY)

    assert_accessible_and_self_contained(response)
    page = text(response)
    content = response.content.decode()
    assert "Food truck" in page
    assert "Étape : Structuration du projet" in page
    # An ordered list of the six stages, the current one marked for assistive technologies.
    steps = re.search(r'<ol class="journey-steps".*?</ol>', content, re.S).group(0)
    assert steps.count("<li") == 6
    assert re.search(r'aria-current="step">\s*Structuration du projet', steps)
    assert "prévisionnel et plan de financement" in page  # what's next at this stage
    assert "Votre projet de business plan" in page  # documents to bring
    assert "Apporter le prévisionnel — avant le 4 mai 2030 (BGE Hauts-de-France)" in page
    assert "Note privée du conseiller" not in page
    assert "Compte rendu confidentiel" not in page
    assert "BGE Hauts-de-France : votre référent est Julien Dufresne" in page


def test_an_exited_project_says_so_and_where_it_stopped(client, holder_file, personas):
    project = project_create(holder=holder_file, title="Boulangerie", by=None)
    project_transition(project, "start_emergence", by=None, organisation=None)
    project_transition(project, "abandon", by=None, organisation=None, reason="Raisons familiales")

    page = text(client.get(JOURNEY))

    assert "Étape : Abandon" in page
    assert "Projet arrêté" in page
    assert "(étape passée)" in page  # awareness is behind it
    assert 'aria-current="step"' not in client.get(JOURNEY).content.decode()


def _journey_data(holder, personas, projects: int) -> None:
    for organisation in (personas.structure, personas.other_structure):
        holder.links.create(organisation=organisation, origin="holder", referent=personas.advisor)
    for index in range(projects):
        project = project_create(holder=holder, title=f"Projet {index}", by=None)
        project_transition(project, "start_emergence", by=None, organisation=None)
        FollowUpFactory(
            holder=holder, project=project, organisation=personas.structure, next_step="Étape", is_shared=True
        )


@pytest.mark.parametrize("projects", [1, 5])
def test_my_journey_query_count_does_not_grow_with_projects(
    projects, client, holder_file, personas, django_assert_num_queries
):
    _journey_data(holder_file, personas, projects)
    client.get(JOURNEY)  # warm: the session and the file exist

    # tenant, session, user, staff two-factor check, role check, holder file (in a savepoint: 3),
    # projects, shared next steps, referents, upcoming appointments
    with django_assert_num_queries(12):
        response = client.get(JOURNEY)
    assert text(response).count("Étape : Émergence de l'idée") == projects


# ------------------------------------------------------------- « Quelle aide pour moi ? »
def _answer_questionnaire(client, territory) -> None:
    answers = Answers(
        postcode=POSTCODE,
        commune_insee=territory["commune"].insee,
        commune_name="Testville",
        in_qpv=True,
        birth_year=1993,
        situation="rsa",
        stage="emergence",
        sector="crafts",
        project_kind="takeover",
    )
    session = client.session
    session[SESSION_KEY] = {"answers": answers.to_session(), "qpv_source": "declared"}
    session.save()


def test_questionnaire_answers_are_offered_then_prefill_profile_and_project(client, holder_file, territory):
    _answer_questionnaire(client, territory)

    page = text(client.get(JOURNEY))
    assert "Vous avez répondu à « Quelle aide pour moi ? »" in page

    profile = client.get(PROFILE + "?depuis=questionnaire")
    assert_accessible_and_self_contained(profile)
    form = profile.context["form"]
    assert form["birth_year"].value() == 1993
    assert form["situation"].value() == "rsa"
    assert form["commune"].value() == "99510"
    assert form["lives_in_qpv"].value() == "yes"
    assert "Nous avons repris vos réponses" in text(profile)

    project = client.get(NEW_PROJECT + "?depuis=questionnaire").context["form"]
    assert (project["sector"].value(), project["kind"].value()) == ("crafts", "takeover")

    holder_file.refresh_from_db()
    assert holder_file.birth_year is None  # nothing is saved before the holder submits


# -------------------------------------------------------------------------------- profile
def test_profile_form_is_accessible_in_fieldsets(client, holder_file, territory):
    response = client.get(PROFILE)

    page = assert_accessible_and_self_contained(response)
    for legend in ("Mon identité et mes coordonnées", "Où j'habite", "Ma situation"):
        assert legend in text(response)
    assert {c.get("name") for c in page.controls} >= {"birth_year", "postcode", "commune", "contact_by_sms"}


def test_profile_without_address_keeps_the_declared_answer(client, holder_file, territory, settings):
    settings.BAN_URL = closed_port_url()

    response = client.post(PROFILE, {**PROFILE_DATA, "qpv": territory["qpv"].pk})

    assert response.status_code == 302
    holder_file.refresh_from_db()
    assert holder_file.birth_year == 1990
    assert holder_file.phone == "0612345678"
    assert holder_file.commune == territory["commune"]  # from the postcode
    assert (holder_file.lives_in_qpv, holder_file.qpv) == (True, territory["qpv"])
    assert (holder_file.contact_by_email, holder_file.contact_by_sms) == (True, False)
    assert holder_file.address_check is None
    assert not AddressCheck.objects.exists()


def test_profile_address_is_verified_with_the_ban(client, holder_file, territory, settings):
    with FakeBan() as ban:
        settings.BAN_URL = ban.url
        ban.found(lat=50.63, lon=3.05, citycode="99510", postcode=POSTCODE, label="3 rue des Tests 99510 Testville")
        response = client.post(PROFILE, {**PROFILE_DATA, "street_address": "3 rue des Tests", "lives_in_qpv": "no"})

        assert response.status_code == 302
        holder_file.refresh_from_db()
        check = holder_file.address_check
        assert check.status == AddressCheck.Status.VERIFIED
        assert (holder_file.lives_in_qpv, holder_file.qpv) == (True, territory["qpv"])  # the BAN wins
        assert "vérifiée avec la Base Adresse Nationale" in text(client.get(PROFILE))

        # Saving again with the same address does not ask the BAN again.
        asked = len(ban.queries)
        client.post(PROFILE, {**PROFILE_DATA, "street_address": "3 rue des Tests", "phone": "0700000000"})
        assert len(ban.queries) == asked
    holder_file.refresh_from_db()
    assert holder_file.address_check == check
    assert holder_file.phone == "0700000000"


def test_profile_when_the_ban_is_down_stores_a_declared_check(client, holder_file, territory, settings):
    settings.BAN_URL = closed_port_url()

    response = client.post(
        PROFILE, {**PROFILE_DATA, "street_address": "3 rue des Tests", "qpv": territory["qpv"].pk}, follow=True
    )

    assert "momentanément indisponible" in text(response)
    holder_file.refresh_from_db()
    check = holder_file.address_check
    assert (check.status, check.declared_answer, check.declared_qpv) == (
        AddressCheck.Status.DECLARED,
        AddressCheck.Declared.QPV,
        territory["qpv"],
    )
    assert (holder_file.lives_in_qpv, holder_file.qpv) == (True, territory["qpv"])


def test_profile_address_unknown_to_the_ban_keeps_the_declared_answer(client, holder_file, territory, settings):
    with FakeBan() as ban:
        settings.BAN_URL = ban.url
        ban.not_found()
        response = client.post(
            PROFILE, {**PROFILE_DATA, "street_address": "999 impasse Inconnue", "lives_in_qpv": "no"}, follow=True
        )

    assert "Nous n'avons pas trouvé votre adresse" in text(response)
    holder_file.refresh_from_db()
    assert holder_file.lives_in_qpv is False
    check = AddressCheck.objects.get()  # the declared one only
    assert holder_file.address_check == check
    assert (check.status, check.declared_answer) == (AddressCheck.Status.DECLARED, AddressCheck.Declared.NONE)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"birth_year": str(timezone.localdate().year + 1)}, "L'année de naissance ne peut pas être dans le futur."),
        ({"birth_year": "1850"}, "Vérifiez l'année de naissance"),
        ({"birth_year": "mille"}, "Indiquez l'année en chiffres"),
        ({"postcode": "59A00"}, "Le code postal compte 5 chiffres"),
        ({"postcode": "99999"}, "Ce code postal ne correspond à aucune commune."),
        ({"postcode": SHARED_POSTCODE}, "Plusieurs communes ont ce code postal : choisissez la vôtre."),
        ({"postcode": POSTCODE, "commune": "99521"}, "Ce code postal n'est pas celui de Nordville."),
        ({"postcode": "", "street_address": "3 rue des Tests"}, "Indiquez le code postal de votre adresse."),
        ({"phone": "12345"}, "Indiquez un numéro de téléphone français"),
        ({"first_name": " "}, "Indiquez votre prénom."),
        ({"situation": "millionaire"}, "Choisissez une situation de la liste."),
        ({"lives_in_qpv": "no", "qpv": "QPV"}, "Un quartier n'est indiqué que si vous y habitez."),
        ({"commune": "00000"}, "Choisissez une commune de la liste."),
    ],
)
def test_bad_profile_input_is_shown_in_french_and_nothing_is_written(
    data, error, client, holder_file, territory, settings
):
    settings.BAN_URL = closed_port_url()
    if data.get("qpv") == "QPV":
        data = {**data, "qpv": territory["qpv"].pk}
    before = Holder.objects.filter(pk=holder_file.pk).values().get()

    response = client.post(PROFILE, {**PROFILE_DATA, **data})

    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in text(response)
    assert error in text(response)
    assert Holder.objects.filter(pk=holder_file.pk).values().get() == before
    assert not AddressCheck.objects.exists()


def test_a_shared_postcode_is_settled_by_choosing_the_commune(client, holder_file, territory, settings):
    settings.BAN_URL = closed_port_url()
    response = client.post(PROFILE, {**PROFILE_DATA, "postcode": SHARED_POSTCODE, "commune": "99522"})
    assert response.status_code == 302
    holder_file.refresh_from_db()
    assert holder_file.commune == territory["south"]


# ------------------------------------------------------------------------------- projects
def test_a_holder_creates_then_edits_a_project(client, holder_file, personas):
    assert_accessible_and_self_contained(client.get(NEW_PROJECT))
    data = {
        "title": "  Atelier   de couture ",
        "description": "Retouches",
        "sector": "crafts",
        "kind": "creation",
        "legal_form": "micro",
    }

    assert client.post(NEW_PROJECT, data).status_code == 302

    project = Project.objects.get(holder=holder_file)
    assert (project.title, project.state) == ("Atelier de couture", JourneyState.AWARENESS)
    entry = StageTransition.objects.get(project=project)
    assert (entry.to_state, entry.by) == (JourneyState.AWARENESS, personas.holder)

    form = client.get(edit_url(project))
    assert_accessible_and_self_contained(form)
    assert client.post(edit_url(project), {**data, "kind": "takeover", "state": "creation"}).status_code == 302
    project.refresh_from_db()
    assert (project.kind, project.state) == ("takeover", JourneyState.AWARENESS)  # the stage is not theirs to set


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": ""}, "Donnez un nom à votre projet, même provisoire."),
        ({"title": "x" * 201}, "Le nom du projet ne doit pas dépasser 200 caractères."),
        ({"kind": "franchise"}, "Choisissez « création » ou « reprise »."),
        ({"sector": "spatial"}, "Choisissez un secteur de la liste."),
        ({"legal_form": "sa"}, "Choisissez une forme juridique de la liste."),
    ],
)
def test_bad_project_input_is_shown_in_french_and_nothing_is_written(data, error, client, holder_file):
    base = {"title": "Projet", "sector": "", "kind": "creation", "legal_form": "undecided"}
    response = client.post(NEW_PROJECT, {**base, **data})
    assert response.status_code == 200
    assert error in text(response)
    assert not Project.objects.exists()
    assert not StageTransition.objects.exists()


# ----------------------------------------------------------------------------- structures
def test_consents_are_granted_withdrawn_and_a_structure_can_be_left(client, holder_file, personas):
    link = holder_file.links.create(organisation=personas.structure, origin="holder", shares_file=False)
    other = holder_file.links.create(organisation=personas.other_structure, origin="registered", shares_file=True)

    page = client.get(STRUCTURES)
    assert_accessible_and_self_contained(page)
    assert "deviennent visibles par les autres structures" in text(page)
    assert "Partager mon dossier avec BGE Hauts-de-France" in text(page)

    response = client.post(STRUCTURES, {"link": link.pk, "action": "share"}, follow=True)
    assert "Vous partagez désormais votre dossier avec BGE Hauts-de-France." in text(response)
    link.refresh_from_db()
    assert link.shares_file
    assert link.consent_updated_at is not None

    client.post(STRUCTURES, {"link": link.pk, "action": "unshare"})
    link.refresh_from_db()
    assert not link.shares_file

    ended = client.post(STRUCTURES, {"link": other.pk, "action": "end"}, follow=True)
    assert "Initiative Lille Métropole ne vous suit plus." in text(ended)
    other.refresh_from_db()
    assert other.ended_at is not None
    assert not other.shares_file
    assert "Initiative Lille Métropole" not in text(client.get(STRUCTURES))
    # An ended link is no longer reachable.
    assert client.post(STRUCTURES, {"link": other.pk, "action": "share"}).status_code == 404


def test_another_holders_link_is_a_404_and_bad_actions_change_nothing(client, holder_file, personas, fabrique):
    neighbour = holder_followed_by(fabrique, personas.structure)
    theirs = SupportLink.objects.get(holder=neighbour)
    mine = holder_file.links.create(organisation=personas.structure, origin="holder", shares_file=False)

    assert client.post(STRUCTURES, {"link": theirs.pk, "action": "end"}).status_code == 404
    response = client.post(STRUCTURES, {"link": mine.pk, "action": "delete_everything"}, follow=True)
    assert "Cette action n'a pas pu être faite" in text(response)
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.ended_at is None
    assert mine.ended_at is None
    assert not mine.shares_file


# -------------------------------------------------------------------------------- my data
def test_my_data_exports_everything_in_the_file(client, holder_file, personas, fabrique, django_assert_num_queries):
    holder_file.links.create(organisation=personas.structure, origin="holder", referent=personas.advisor)
    project = project_create(holder=holder_file, title="Institut de beauté", by=None)
    for name in ("start_emergence", "start_structuring", "start_financing", "record_creation"):
        project_transition(project, name, by=personas.advisor, organisation=personas.structure)
    FollowUpFactory(
        holder=holder_file, project=project, organisation=personas.structure, summary="Résumé privé", is_shared=False
    )
    Referral.objects.create(
        holder=holder_file,
        project=project,
        from_organisation=personas.structure,
        to_organisation=personas.other_structure,
        need=Referral.Need.FINANCING,
        holder_consented_at=timezone.now(),
        respond_by=timezone.localdate(),
    )
    FinancingRequest.objects.create(
        project=project,
        organisation=personas.other_structure,
        label="Prêt d'honneur",
        amount_requested=Decimal("8000.00"),
        status=FinancingRequest.Status.GRANTED,
        amount_granted=Decimal("7500.00"),
    )
    creation = CreationRecord.objects.create(
        project=project,
        siret="73282932000074",
        created_on=datetime.date(2025, 3, 1),
        legal_form="micro",
        jobs_at_creation=1,
        organisation=personas.structure,
    )
    for months in (6, 12, 24, 36):
        PostCreationCheck.objects.create(
            creation=creation, months_after=months, due_on=datetime.date(2025, 3, 1) + datetime.timedelta(30 * months)
        )
    WalkIn.objects.create(fabrique=fabrique, place=PlaceFactory(), holder=holder_file, reason=Referral.Need.INFORMATION)
    client.get(JOURNEY)

    # tenant, session, user, staff two-factor check, role check, holder file (in a savepoint: 3),
    # the file's Fabrique, then one query per table (10), whatever the number of rows
    with django_assert_num_queries(19):
        response = client.get(MY_DATA)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-fabrique-')
    raw = response.content.decode("utf-8")
    assert "Résumé privé" in raw  # not \u-escaped: readable UTF-8
    data = json.loads(raw)
    assert data["profil"]["prenom"] == "Samira"
    assert data["projets"][0]["etape"] == "Création ou reprise"
    assert [t["vers"] for t in data["changements_d_etape"]][-1] == "Création ou reprise"
    assert len(data["changements_d_etape"]) == 5
    assert data["actions_d_accompagnement"][0]["compte_rendu"] == "Résumé privé"  # right of access
    assert data["orientations"][0]["vers"] == "Initiative Lille Métropole"
    assert data["financements"][0]["montant_accorde"] == "7500.00"
    assert data["creations"][0]["siret"] == "73282932000074"
    assert [c["mois_apres_la_creation"] for c in data["suivis_apres_creation"]] == [6, 12, 24, 36]
    assert data["structures_qui_me_suivent"][0]["structure"] == "BGE Hauts-de-France"
    assert data["profil"]["accepte_contact_par_email"] is False
    assert data["accueils_sans_rendez_vous"][0]["motif"] == "Information, premier accueil"


def test_my_data_holds_nothing_of_another_holder(client, holder_file, fabrique, personas):
    neighbour = holder_followed_by(fabrique, personas.structure)
    project_create(holder=neighbour, title="Projet du voisin", by=None)
    FollowUpFactory(holder=neighbour, organisation=personas.structure, summary="Note du voisin")

    raw = client.get(MY_DATA).content.decode()

    assert "Projet du voisin" not in raw
    assert "Note du voisin" not in raw
    assert json.loads(raw)["projets"] == []
