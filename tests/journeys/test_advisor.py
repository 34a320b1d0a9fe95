"""The advisors' side of the journeys: caseload, holder file and timeline, follow-ups, stage
transitions, registering a holder (duplicates), walk-ins, and who may see what."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accompaniment.journeys.models import (
    FollowUp,
    Holder,
    JourneyState,
    Project,
    StageTransition,
    SupportLink,
    WalkIn,
)
from tests.conftest import client_on
from tests.factories import (
    CommuneFactory,
    EPCIFactory,
    FollowUpFactory,
    HolderFactory,
    PlaceFactory,
    ProjectFactory,
    SupportLinkFactory,
    holder_followed_by,
)

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
TODAY = timezone.localdate


@pytest.fixture
def place(fabrique):
    epci = EPCIFactory()
    fabrique.perimeter.add(epci)
    return PlaceFactory(commune=CommuneFactory(epci=epci), name="Espace ressource Lille-Sud")


@pytest.fixture
def mine(fabrique, personas):
    """A holder followed only by the advisor's structure, with a project and a private note."""
    holder = holder_followed_by(fabrique, personas.structure, first_name="Awa", last_name="Diallo")
    ProjectFactory(holder=holder, title="Traiteur africain")
    FollowUpFactory(holder=holder, organisation=personas.structure, summary="Note privée de la BGE")
    return holder


@pytest.fixture
def theirs(fabrique, personas):
    return holder_followed_by(fabrique, personas.other_structure, first_name="Karim", last_name="Benali")


def _get(user, name, **kwargs):
    return client_on(HOST, user).get(reverse(name, kwargs=kwargs or None))


# ---------------------------------------------------------------------------------- access
class TestAccess:
    def test_an_advisor_sees_only_the_holders_their_structure_follows(self, personas, mine, theirs):
        response = _get(personas.advisor, "journeys:caseload")
        assert response.status_code == 200
        assert "Awa" in response.text
        assert "Karim" not in response.text

    def test_territory_staff_see_every_holder_of_the_fabrique(self, personas, mine, theirs):
        response = _get(personas.territory_staff, "journeys:caseload")
        assert "Awa" in response.text
        assert "Karim" in response.text

    def test_another_structure_cannot_open_a_file_it_does_not_follow(self, personas, mine):
        other = personas.other_structure_advisor
        project = mine.projects.get()
        assert _get(other, "journeys:holder_file", pk=mine.pk).status_code == 404
        assert _get(other, "journeys:followup_create", pk=mine.pk).status_code == 404
        assert _get(other, "journeys:project_transition", pk=project.pk).status_code == 404
        followup = FollowUp.objects.get(holder=mine)
        assert _get(other, "journeys:followup_next_step_done", pk=followup.pk).status_code == 404

    @pytest.mark.parametrize("persona", ["funder_staff", "holder", "other_fabrique_user"])
    def test_funders_holders_and_outsiders_get_404_everywhere(self, personas, mine, persona):
        user = getattr(personas, persona)
        followup = FollowUp.objects.get(holder=mine)
        project = mine.projects.get()
        pages = [
            ("journeys:caseload", {}),
            ("journeys:holder_register", {}),
            ("journeys:walkin_list", {}),
            ("journeys:walkin_create", {}),
            ("journeys:holder_file", {"pk": mine.pk}),
            ("journeys:followup_create", {"pk": mine.pk}),
            ("journeys:project_transition", {"pk": project.pk}),
            ("journeys:followup_next_step_done", {"pk": followup.pk}),
        ]
        client = client_on(HOST, user)
        for name, kwargs in pages:
            url = reverse(name, kwargs=kwargs or None)
            assert client.get(url).status_code == 404, name
            assert client.post(url).status_code == 404, name

    def test_anonymous_visitors_are_sent_to_login(self, mine):
        response = client_on(HOST).get(reverse("journeys:holder_file", kwargs={"pk": mine.pk}))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_territory_staff_see_the_file_but_no_summary_and_cannot_act(self, personas, mine):
        staff = personas.territory_staff
        response = _get(staff, "journeys:holder_file", pk=mine.pk)
        assert response.status_code == 200
        assert "Note privée de la BGE" not in response.text
        assert "Compte rendu non partagé" in response.text
        assert _get(staff, "journeys:followup_create", pk=mine.pk).status_code == 404
        assert _get(staff, "journeys:project_transition", pk=mine.projects.get().pk).status_code == 404

    @pytest.mark.parametrize(
        ("is_shared", "author_shares", "reader_shares", "visible"),
        [
            (True, True, True, True),
            (True, True, False, False),
            (True, False, True, False),
            (False, True, True, False),
        ],
    )
    def test_a_shared_note_is_read_by_another_structure_only_when_both_links_share(
        self, fabrique, personas, is_shared, author_shares, reader_shares, visible
    ):
        holder = HolderFactory(fabrique=fabrique)
        SupportLinkFactory(holder=holder, organisation=personas.structure, shares_file=author_shares)
        SupportLinkFactory(holder=holder, organisation=personas.other_structure, shares_file=reader_shares)
        FollowUpFactory(
            holder=holder, organisation=personas.structure, summary="Le prévisionnel avance", is_shared=is_shared
        )
        response = _get(personas.other_structure_advisor, "journeys:holder_file", pk=holder.pk)
        assert response.status_code == 200
        assert ("Le prévisionnel avance" in response.text) is visible
        assert ("Compte rendu non partagé" in response.text) is not visible
        # The author's structure always reads its own note.
        assert "Le prévisionnel avance" in _get(personas.advisor, "journeys:holder_file", pk=holder.pk).text

    def test_a_link_that_ended_closes_the_file(self, personas, mine):
        SupportLink.objects.filter(holder=mine).update(ended_at=timezone.now())
        assert _get(personas.advisor, "journeys:holder_file", pk=mine.pk).status_code == 404


# ------------------------------------------------------------------------------- caseload
class TestCaseload:
    def test_columns_last_contact_next_step_overdue_referent(self, fabrique, personas):
        holder = holder_followed_by(fabrique, personas.structure, last_name="Martin", lives_in_qpv=True)
        SupportLink.objects.filter(holder=holder).update(referent=personas.advisor)
        FollowUpFactory(
            holder=holder,
            organisation=personas.structure,
            occurred_on=TODAY() - datetime.timedelta(days=20),
            next_step="Rappeler la banque",
            next_step_due=TODAY() - datetime.timedelta(days=2),
        )
        # Another structure's more recent contact is not "our" last contact.
        SupportLinkFactory(holder=holder, organisation=personas.other_structure)
        FollowUpFactory(holder=holder, organisation=personas.other_structure, occurred_on=TODAY())
        row = _get(personas.advisor, "journeys:caseload").context["page_obj"][0]
        assert row.last_contact == TODAY() - datetime.timedelta(days=20)
        assert row.next_step == "Rappeler la banque"
        assert row.referent_name == personas.advisor.email
        text = _get(personas.advisor, "journeys:caseload").text
        assert "en retard" in text
        assert "QPV" in text

    def _names(self, user, **params):
        response = client_on(HOST, user).get(reverse("journeys:caseload"), params)
        assert response.status_code == 200
        return [holder.last_name for holder in response.context["page_obj"]]

    def test_filters(self, fabrique, personas, place):
        a = holder_followed_by(fabrique, personas.structure, last_name="Aubry", lives_in_qpv=True)
        b = holder_followed_by(fabrique, personas.structure, last_name="Bernard", email="bernard@exemple.fr")
        c = holder_followed_by(fabrique, personas.structure, last_name="Céline")
        ProjectFactory(holder=a, state=JourneyState.FINANCING)
        ProjectFactory(holder=b, state=JourneyState.EMERGENCE)
        FollowUpFactory(
            holder=a,
            organisation=personas.structure,
            place=place,
            next_step="Dossier de prêt",
            next_step_due=TODAY() - datetime.timedelta(days=1),
        )
        FollowUpFactory(holder=b, organisation=personas.structure, occurred_on=TODAY() - datetime.timedelta(days=90))
        SupportLink.objects.filter(holder=c).update(referent=personas.structure_manager)
        advisor = personas.advisor
        assert self._names(advisor) == ["Aubry", "Bernard", "Céline"]
        assert self._names(advisor, etape="financing") == ["Aubry"]
        assert self._names(advisor, qpv="oui") == ["Aubry"]
        assert self._names(advisor, qpv="non") == ["Bernard", "Céline"]
        assert self._names(advisor, lieu=place.pk) == ["Aubry"]
        assert self._names(advisor, en_retard="on") == ["Aubry"]
        assert self._names(advisor, sans_contact_depuis=30) == ["Bernard", "Céline"]
        assert self._names(advisor, referent=personas.structure_manager.pk) == ["Céline"]
        assert self._names(advisor, q="celine") == ["Céline"]  # accents ignored
        assert self._names(advisor, q="BERNARD@exemple") == ["Bernard"]
        assert self._names(advisor, tri="contact_recent") == ["Aubry", "Bernard", "Céline"]
        assert self._names(advisor, tri="contact_ancien") == ["Céline", "Bernard", "Aubry"]

    def test_bad_filter_values_are_french_errors_never_500(self, personas, mine):
        response = client_on(HOST, personas.advisor).get(
            reverse("journeys:caseload"), {"sans_contact_depuis": "abc", "etape": "nope", "tri": "x", "page": "zz"}
        )
        assert response.status_code == 200
        assert "Awa" in response.text
        assert response.context["filterset"].form.errors

    def test_htmx_gets_the_results_only(self, personas, mine):
        response = client_on(HOST, personas.advisor).get(reverse("journeys:caseload"), headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.text
        assert "Awa" in response.text


# ---------------------------------------------------------------------------- holder file
class TestHolderFile:
    def test_the_timeline_shows_every_kind_of_entry_newest_first(self, fabrique, personas, mine, place):
        from accompaniment.journeys import projects
        from accompaniment.journeys.models import CreationRecord, FinancingRequest, Referral

        project = mine.projects.get()
        projects.project_transition(project, "start_structuring", by=personas.advisor, organisation=personas.structure)
        FinancingRequest.objects.create(
            project=project, organisation=personas.structure, label="Prêt d'honneur", amount_requested=5000
        )
        Referral.objects.create(
            holder=mine,
            from_organisation=personas.structure,
            to_organisation=personas.other_structure,
            need=Referral.Need.FINANCING,
            holder_consented_at=timezone.now(),
            respond_by=TODAY() + datetime.timedelta(days=10),
        )
        CreationRecord.objects.create(
            project=project,
            siret="73282932000074",
            created_on=TODAY(),
            legal_form="micro",
            jobs_at_creation=1,
            organisation=personas.structure,
        )
        WalkIn.objects.create(fabrique=fabrique, place=place, holder=mine, reason="information")
        response = _get(personas.advisor, "journeys:holder_file", pk=mine.pk)
        assert response.status_code == 200
        kinds = {entry.kind for entry in response.context["timeline"]}
        assert kinds == {"followup", "transition", "referral", "financing", "creation", "walkin"}
        moments = [entry.at for entry in response.context["timeline"]]
        assert moments == sorted(moments, reverse=True)
        for text in ("Note privée de la BGE", "Prêt d&#x27;honneur", "73282932000074", "Passage sans rendez-vous"):
            assert text in response.text

    def test_the_transition_form_offers_only_the_available_transitions(self, personas, mine):
        response = _get(personas.advisor, "journeys:holder_file", pk=mine.pk)
        [(project, form)] = response.context["project_rows"]
        assert [name for name, _label in form.fields["transition"].choices] == [
            name for name, _label in project.available_transitions()
        ]


# ------------------------------------------------------------------------------ transition
class TestTransition:
    def _post(self, user, project, **data):
        payload = {f"projet-{project.pk}-{key}": value for key, value in data.items()}
        return client_on(HOST, user).post(reverse("journeys:project_transition", kwargs={"pk": project.pk}), payload)

    def test_an_advisor_moves_a_project_and_it_is_recorded(self, personas, mine):
        project = mine.projects.get()
        response = self._post(personas.advisor, project, transition="start_emergence", reason="Idée précisée")
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.state == JourneyState.EMERGENCE
        record = StageTransition.objects.get(project=project, to_state=JourneyState.EMERGENCE)
        assert (record.by, record.organisation, record.reason) == (
            personas.advisor,
            personas.structure,
            "Idée précisée",
        )

    def test_a_transition_not_allowed_now_is_explained_in_french_and_writes_nothing(self, personas, mine):
        project = mine.projects.get()
        response = self._post(personas.advisor, project, transition="start_post_creation")
        assert response.status_code == 200
        assert "il ne peut pas passer à" in response.text
        project.refresh_from_db()
        assert project.state == JourneyState.AWARENESS
        assert not StageTransition.objects.filter(project=project).exists()

    def test_an_unknown_transition_and_an_abandon_without_reason_are_refused(self, personas, mine):
        project = mine.projects.get()
        assert (
            "Ce changement d&#x27;étape n&#x27;existe pas."
            in self._post(personas.advisor, project, transition="delete").text
        )
        response = self._post(personas.advisor, project, transition="abandon", reason=" ")
        assert "Indiquez la raison de l&#x27;abandon." in response.text
        project.refresh_from_db()
        assert project.state == JourneyState.AWARENESS


# ------------------------------------------------------------------------------ follow-ups
class TestFollowUps:
    def _post(self, user, holder, **data):
        payload = {"occurred_on": TODAY().isoformat(), "kind": "interview", **data}
        return client_on(HOST, user).post(reverse("journeys:followup_create", kwargs={"pk": holder.pk}), payload)

    def test_an_advisor_logs_a_follow_up(self, personas, mine, place):
        project = mine.projects.get()
        response = self._post(
            personas.advisor,
            mine,
            duration_minutes=45,
            place=place.pk,
            project=project.pk,
            summary="Étude de marché à compléter",
            next_step="Envoyer le questionnaire",
            next_step_due=(TODAY() + datetime.timedelta(days=7)).isoformat(),
            is_shared="on",
        )
        assert response.status_code == 302
        followup = FollowUp.objects.get(holder=mine, summary="Étude de marché à compléter")
        assert (followup.organisation, followup.author, followup.place, followup.project) == (
            personas.structure,
            personas.advisor,
            place,
            project,
        )
        assert followup.is_shared
        assert followup.duration_minutes == 45

    def test_french_errors_for_a_future_date_and_a_due_date_without_next_step(self, personas, mine):
        before = FollowUp.objects.count()
        response = self._post(
            personas.advisor,
            mine,
            occurred_on=(TODAY() + datetime.timedelta(days=1)).isoformat(),
            next_step_due=TODAY().isoformat(),
        )
        assert response.status_code == 200
        assert "dans le futur" in response.text
        assert "Indiquez la prochaine étape" in response.text
        assert FollowUp.objects.count() == before

    def test_a_place_outside_the_fabrique_is_refused(self, personas, mine):
        elsewhere = PlaceFactory()
        response = self._post(personas.advisor, mine, place=elsewhere.pk)
        assert response.status_code == 200
        assert response.context["form"].errors["place"]

    def test_sensitive_data_needs_an_explicit_confirmation(self, personas, mine):
        before = FollowUp.objects.count()
        response = self._post(personas.advisor, mine, summary="Elle sort d'une HOSPITALISATION, projet décalé")
        assert response.status_code == 200
        assert "santé" in response.text
        assert "Je confirme que cette information est nécessaire" in response.text
        assert FollowUp.objects.count() == before
        response = self._post(
            personas.advisor, mine, summary="Elle sort d'une HOSPITALISATION, projet décalé", confirm_sensitive="on"
        )
        assert response.status_code == 302
        assert FollowUp.objects.count() == before + 1

    def test_next_step_done_by_the_author_structure_only(self, fabrique, personas):
        holder = holder_followed_by(fabrique, personas.structure, personas.other_structure)
        followup = FollowUpFactory(
            holder=holder, organisation=personas.structure, next_step="Appeler", next_step_due=TODAY()
        )
        url = reverse("journeys:followup_next_step_done", kwargs={"pk": followup.pk})
        assert client_on(HOST, personas.other_structure_advisor).post(url).status_code == 404
        assert client_on(HOST, personas.advisor).get(url).status_code == 200
        assert client_on(HOST, personas.advisor).post(url).status_code == 302
        followup.refresh_from_db()
        assert followup.next_step_done_at is not None


# ----------------------------------------------------------------------------- registering
class TestRegister:
    def _post(self, user, **data):
        payload = {
            "first_name": "Fatou",
            "last_name": "Sow",
            "email": "fatou.sow@exemple.fr",
            "birth_year": "1992",
            "situation": "job_seeker",
            "lives_in_qpv_declared": "oui",
            "shares_file": "on",
            **data,
        }
        return client_on(HOST, user).post(reverse("journeys:holder_register"), payload)

    def test_a_new_person_gets_a_file_followed_by_the_structure(self, fabrique, personas):
        response = self._post(personas.advisor)
        holder = Holder.objects.get(email="fatou.sow@exemple.fr")
        assert response.status_code == 302
        assert response["Location"].endswith(f"/suivi/porteurs/{holder.pk}/")
        link = SupportLink.objects.get(holder=holder)
        assert (link.organisation, link.referent, link.origin, link.shares_file) == (
            personas.structure,
            personas.advisor,
            SupportLink.Origin.REGISTERED,
            True,
        )
        assert holder.lives_in_qpv is True
        assert holder.fabrique == fabrique

    def test_a_probable_duplicate_is_shown_and_can_be_linked(self, fabrique, personas):
        known = holder_followed_by(
            fabrique, personas.other_structure, first_name="Fatou", last_name="Sow", email="FATOU.SOW@exemple.fr"
        )
        response = self._post(personas.advisor)
        assert response.status_code == 200
        assert response.context["duplicates"] == [known]
        assert "Rattacher à ce dossier" in response.text
        assert "créer quand même un nouveau dossier" in response.text
        assert Holder.objects.count() == 1
        response = self._post(personas.advisor, rattacher=str(known.pk))
        assert response.status_code == 302
        assert SupportLink.objects.live().filter(holder=known, organisation=personas.structure).exists()
        assert Holder.objects.count() == 1

    def test_linking_needs_a_matching_file(self, fabrique, personas):
        stranger = holder_followed_by(fabrique, personas.other_structure, email="autre@exemple.fr")
        response = self._post(personas.advisor, rattacher=str(stranger.pk))
        assert response.status_code == 200
        assert not SupportLink.objects.filter(holder=stranger, organisation=personas.structure).exists()

    def test_creating_anyway_needs_the_explicit_choice(self, fabrique, personas):
        holder_followed_by(fabrique, personas.other_structure, email="fatou.sow@exemple.fr")
        self._post(personas.advisor)
        assert Holder.objects.count() == 1
        assert self._post(personas.advisor, creer_quand_meme="1").status_code == 302
        assert Holder.objects.count() == 2

    def test_territory_staff_do_not_register(self, personas):
        assert self._post(personas.territory_staff).status_code == 404


# -------------------------------------------------------------------------------- walk-ins
class TestWalkIns:
    def _post(self, user, place, **data):
        payload = {
            "place": place.pk,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "visitors": "3",
            "reason": "information",
            **data,
        }
        return client_on(HOST, user).post(reverse("journeys:walkin_create"), payload)

    def test_an_anonymous_group_is_logged_and_listed(self, personas, place):
        response = self._post(personas.advisor, place, oriented_to=personas.other_structure.pk, notes="Famille")
        assert response.status_code == 302
        walkin = WalkIn.objects.get()
        assert (walkin.visitors, walkin.oriented_to, walkin.organisation) == (
            3,
            personas.other_structure,
            personas.structure,
        )
        listing = _get(personas.advisor, "journeys:walkin_list")
        assert "3 personnes" in listing.text
        assert "Famille" in listing.text
        # Another structure's staff see the visit, not its note.
        assert "Famille" not in _get(personas.other_structure_advisor, "journeys:walkin_list").text

    def test_a_known_holder_must_be_visible_and_alone(self, personas, place, mine, theirs):
        assert self._post(personas.advisor, place, holder=theirs.pk, visitors="1").status_code == 200
        response = self._post(personas.advisor, place, holder=mine.pk, visitors="2")
        assert "une seule personne" in response.text
        assert self._post(personas.advisor, place, holder=mine.pk, visitors="1").status_code == 302
        assert WalkIn.objects.get().holder == mine
        # Names only for files the viewer may open.
        assert "Awa" in _get(personas.advisor, "journeys:walkin_list").text
        other = _get(personas.other_structure_advisor, "journeys:walkin_list").text
        assert "Awa" not in other
        assert "Un porteur qui a un dossier" in other

    def test_a_future_visit_or_a_place_elsewhere_is_refused(self, personas, place):
        later = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        assert "dans le futur" in self._post(personas.advisor, place, occurred_at=later).text
        assert self._post(personas.advisor, PlaceFactory()).status_code == 200
        assert not WalkIn.objects.exists()

    def test_the_list_filters_by_place_and_date(self, fabrique, personas, place):
        other_place = PlaceFactory(commune=place.commune, name="Tiers-lieu")
        WalkIn.objects.create(fabrique=fabrique, place=place, reason="information")
        WalkIn.objects.create(fabrique=fabrique, place=other_place, reason="financing")
        WalkIn.objects.create(
            fabrique=fabrique, place=place, reason="training", occurred_at=timezone.now() - datetime.timedelta(days=30)
        )
        client = client_on(HOST, personas.territory_staff)
        assert len(client.get(reverse("journeys:walkin_list")).context["page_obj"]) == 2
        assert len(client.get(reverse("journeys:walkin_list"), {"lieu": place.pk}).context["page_obj"]) == 1
        since = (TODAY() - datetime.timedelta(days=60)).isoformat()
        assert len(client.get(reverse("journeys:walkin_list"), {"du": since}).context["page_obj"]) == 3


def test_project_is_unchanged_by_a_get(personas, mine):
    project = mine.projects.get()
    assert _get(personas.advisor, "journeys:project_transition", pk=project.pk).status_code == 200
    assert Project.objects.get(pk=project.pk).state == JourneyState.AWARENESS


def test_the_file_opens_on_the_latest_entries_and_links_to_the_whole_history(fabrique, personas):
    import datetime as _dt

    from accompaniment.journeys.views.holder_file import TIMELINE_LATEST
    from tests.factories import FollowUpFactory, holder_followed_by

    holder = holder_followed_by(fabrique, personas.structure)
    first_day = _dt.date(2025, 1, 1)
    for day in range(TIMELINE_LATEST + 10):
        FollowUpFactory(
            holder=holder,
            organisation=personas.structure,
            occurred_on=first_day + _dt.timedelta(days=day),
            summary=f"Entretien numéro {day}",
        )
    client = client_on("lille.localhost", personas.advisor)
    url = reverse("journeys:holder_file", kwargs={"pk": holder.pk})
    latest = client.get(url).content.decode()
    assert f"Entretien numéro {TIMELINE_LATEST + 9}" in latest
    assert "Entretien numéro 0<" not in latest
    assert "Entretien numéro 9<" not in latest
    assert "historique=complet" in latest
    whole = client.get(url, {"historique": "complet"}).content.decode()
    assert "Entretien numéro 0" in whole
    assert "historique=complet" not in whole
