"""Financing requests, creation records, post-creation checks and their notification job."""

from __future__ import annotations

import datetime
import html as html_lib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.catalogue.models import AidScheme
from accompaniment.journeys import outcomes, tasks
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    JourneyState,
    PostCreationCheck,
    Project,
    StageTransition,
    SupportLink,
    TransitionNotAllowed,
)
from fabrique.models import Role
from tests.conftest import _member, client_on
from tests.factories import AidSchemeFactory, OrganisationFactory, ProjectFactory, holder_followed_by

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
VALID_SIRET = "73282932000074"


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


@pytest.fixture
def project(fabrique, personas) -> Project:
    holder = holder_followed_by(fabrique, personas.structure)
    return ProjectFactory(holder=holder, state=JourneyState.FINANCING, title="Food truck")


def _create_record(project, personas, **overrides) -> CreationRecord:
    values = {
        "project": project,
        "siret": VALID_SIRET,
        "created_on": datetime.date(2024, 8, 31),
        "legal_form": "micro",
        "jobs_at_creation": 2,
        "organisation": personas.structure,
        "by": personas.advisor,
    }
    values.update(overrides)
    return outcomes.creation_record_create(**values)


def _nothing_written(project: Project, state: str = JourneyState.FINANCING) -> None:
    project.refresh_from_db()
    assert project.state == state
    assert not CreationRecord.objects.exists()
    assert not PostCreationCheck.objects.exists()
    assert not StageTransition.objects.filter(project=project).exists()


# -------------------------------------------------------------------------- month arithmetic


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2024, 8, 31), 6, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 3, 31), 6, datetime.date(2024, 9, 30)),
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 2, 29), 48, datetime.date(2028, 2, 29)),
        (datetime.date(2025, 7, 15), 6, datetime.date(2026, 1, 15)),
        (datetime.date(2025, 12, 31), 36, datetime.date(2028, 12, 31)),
    ],
)
def test_add_months(day, months, expected):
    assert outcomes.add_months(day, months) == expected


# ------------------------------------------------------------------------------ creation


class TestCreationRecord:
    def test_records_moves_the_project_and_schedules_four_checks(self, project, personas):
        record = _create_record(project, personas)
        project.refresh_from_db()
        assert project.state == JourneyState.CREATION
        assert project.legal_form == "micro"
        transition = StageTransition.objects.get(project=project)
        assert (transition.from_state, transition.to_state, transition.by) == (
            JourneyState.FINANCING,
            JourneyState.CREATION,
            personas.advisor,
        )
        assert record.siren == "732829320"
        assert [(c.months_after, c.due_on) for c in record.checks.order_by("months_after")] == [
            (6, datetime.date(2025, 2, 28)),
            (12, datetime.date(2025, 8, 31)),
            (24, datetime.date(2026, 8, 31)),
            (36, datetime.date(2027, 8, 31)),
        ]

    def test_a_siret_with_spaces_is_accepted(self, project, personas):
        assert _create_record(project, personas, siret="732 829 320 00074").siret == VALID_SIRET

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"siret": "73282932000075"}, "siret", "Ce SIRET n'est pas valide (clé de contrôle)."),
            ({"siret": "1234"}, "siret", "Un SIRET compte 14 chiffres."),
            ({"created_on": "tomorrow"}, "created_on", "La date de création ne peut pas être dans le futur."),
            ({"legal_form": "undecided"}, "legal_form", "Choisissez la forme juridique de l'entreprise."),
            ({"jobs_at_creation": 0}, "jobs_at_creation", "Comptez au moins un emploi : celui du créateur."),
        ],
    )
    def test_bad_input_writes_nothing(self, project, personas, overrides, field, message):
        if overrides.get("created_on") == "tomorrow":
            overrides = {"created_on": timezone.localdate() + datetime.timedelta(days=1)}
        with pytest.raises(ValidationError) as error:
            _create_record(project, personas, **overrides)
        assert error.value.message_dict[field] == [message]
        _nothing_written(project)

    def test_transition_not_allowed_from_the_current_stage_writes_nothing(self, fabrique, personas):
        project = ProjectFactory(holder=holder_followed_by(fabrique, personas.structure), state=JourneyState.EMERGENCE)
        with pytest.raises(TransitionNotAllowed) as error:
            _create_record(project, personas)
        assert error.value.messages == [
            "Le projet est à l'étape « Émergence de l'idée » : il ne peut pas passer à « Création ou reprise »."
        ]
        _nothing_written(project, JourneyState.EMERGENCE)

    def test_only_a_structure_following_the_holder_records(self, project, personas):
        with pytest.raises(ValidationError, match="ne suit pas ce porteur"):
            _create_record(project, personas, organisation=personas.other_structure)
        _nothing_written(project)


# ----------------------------------------------------------------------------- financing


class TestFinancing:
    def _record(self, project, personas, **values):
        return outcomes.financing_request_record(
            project=project, organisation=personas.structure, by=personas.advisor, values=values
        )

    def test_records_a_request_for_a_visible_aid_then_updates_it(self, project, personas):
        aid = AidSchemeFactory(honour_loan=True)
        request = self._record(project, personas, aid_scheme=aid, amount_requested=Decimal("5000"))
        assert request.status == FinancingRequest.Status.PREPARING
        outcomes.financing_request_update(
            financing_request=request,
            by=personas.advisor,
            values={
                "aid_scheme": aid,
                "amount_requested": Decimal("5000"),
                "status": FinancingRequest.Status.GRANTED,
                "committee_on": datetime.date(2025, 3, 4),
                "amount_granted": Decimal("4000"),
                "bank_loan_leveraged": Decimal("30000"),
                "amount_disbursed": Decimal("4000"),
                "disbursed_on": datetime.date(2025, 3, 20),
            },
        )
        request.refresh_from_db()
        assert (request.amount_granted, request.bank_loan_leveraged) == (Decimal("4000"), Decimal("30000"))

    def test_a_free_label_is_enough(self, project, personas):
        assert self._record(project, personas, label="Prêt familial", amount_requested=2000).label == "Prêt familial"

    @pytest.mark.parametrize(
        ("values", "field", "message"),
        [
            (
                {"amount_requested": 100},
                "aid_scheme",
                "Choisissez un dispositif du catalogue ou nommez le financement.",
            ),
            (
                {"label": "X", "amount_requested": 0},
                "amount_requested",
                "Le montant demandé doit être supérieur à 0 €.",
            ),
            (
                {"label": "X", "amount_requested": 100, "status": "submitted", "amount_granted": 100},
                "amount_granted",
                "Le montant accordé ne se saisit que pour une demande accordée.",
            ),
            (
                {
                    "label": "X",
                    "amount_requested": 100,
                    "status": "granted",
                    "amount_granted": 80,
                    "amount_disbursed": 90,
                },
                "amount_disbursed",
                "Le montant décaissé ne peut pas dépasser le montant accordé.",
            ),
            (
                {"label": "X", "amount_requested": 100, "status": "submitted", "amount_disbursed": 90},
                "amount_disbursed",
                "Un décaissement suppose un montant accordé.",
            ),
            (
                {"label": "X", "amount_requested": 100, "bank_loan_leveraged": -1},
                "bank_loan_leveraged",
                "Un montant ne peut pas être négatif.",
            ),
        ],
    )
    def test_inconsistent_amounts_are_french_errors_and_write_nothing(self, project, personas, values, field, message):
        with pytest.raises(ValidationError) as error:
            self._record(project, personas, **values)
        assert message in error.value.message_dict[field]
        assert not FinancingRequest.objects.exists()

    def test_an_aid_not_shown_in_the_fabrique_is_refused(self, project, personas, other_fabrique):
        elsewhere = AidSchemeFactory(coverage=AidScheme.Coverage.FABRIQUE)
        elsewhere.coverage_fabriques.add(other_fabrique)
        with pytest.raises(ValidationError) as error:
            self._record(project, personas, aid_scheme=elsewhere, amount_requested=100)
        assert error.value.message_dict["aid_scheme"] == ["Ce dispositif n'est pas proposé dans cette Fabrique."]
        assert not FinancingRequest.objects.exists()


# ------------------------------------------------------------------- post-creation checks


class TestChecks:
    def test_complete_a_check_and_the_project_enters_post_creation(self, project, personas):
        record = _create_record(project, personas)
        check = record.checks.get(months_after=6)
        with pytest.raises(ValidationError) as error:
            outcomes.post_creation_check_complete(
                check=check, is_active=None, jobs=None, closed_on=None, notes="", by=personas.advisor
            )
        assert error.value.message_dict["is_active"] == ["Indiquez si l'entreprise est toujours en activité."]
        with pytest.raises(ValidationError, match="ne s'indique que si l'entreprise n'est plus en activité"):
            outcomes.post_creation_check_complete(
                check=check,
                is_active=True,
                jobs=3,
                closed_on=datetime.date(2025, 1, 1),
                notes="",
                by=personas.advisor,
            )
        check.refresh_from_db()
        assert check.done_at is None
        outcomes.post_creation_check_complete(
            check=check, is_active=True, jobs=3, closed_on=None, notes="Carnet de commandes plein", by=personas.advisor
        )
        check.refresh_from_db()
        assert (check.is_active, check.jobs, check.done_by) == (True, 3, personas.advisor)
        project.refresh_from_db()
        assert project.state == JourneyState.POST_CREATION

    def test_due_checks_are_notified_once_to_the_referent(self, project, personas):
        SupportLink.objects.filter(holder=project.holder, organisation=personas.structure).update(
            referent=personas.advisor
        )
        record = _create_record(project, personas, created_on=timezone.localdate() - datetime.timedelta(days=400))
        assert tasks.post_creation_checks_notify_due() == 2  # 6 and 12 months are due
        assert tasks.post_creation_checks_notify_due() == 0
        assert len(mail.outbox) == 2
        assert {tuple(m.to) for m in mail.outbox} == {(personas.advisor.email,)}
        body = mail.outbox[0].body
        assert "BGE Hauts-de-France" in body
        assert f"http://{HOST}/suivi/points-apres-creation/" in body
        assert project.holder.last_name not in body
        assert record.checks.filter(notified_at__isnull=False).count() == 2

    def test_without_a_referent_the_structures_advisors_are_told(self, project, personas):
        _member(Role.STRUCTURE_MANAGER, organisation=personas.structure)
        second_advisor = _member(Role.ADVISOR, organisation=personas.structure)
        _create_record(project, personas, created_on=timezone.localdate() - datetime.timedelta(days=200))
        assert tasks.post_creation_checks_notify_due() == 1
        assert sorted(mail.outbox[0].to) == sorted([personas.advisor.email, second_advisor.email])

    def test_done_or_not_due_checks_are_not_notified(self, project, personas):
        record = _create_record(project, personas, created_on=timezone.localdate() - datetime.timedelta(days=200))
        check = record.checks.get(months_after=6)
        outcomes.post_creation_check_complete(
            check=check, is_active=True, jobs=1, closed_on=None, notes="", by=personas.advisor
        )
        assert tasks.post_creation_checks_notify_due() == 0
        assert mail.outbox == []


# --------------------------------------------------------------------------------- views


class TestViews:
    def test_creation_form_bad_siret_then_success(self, project, personas):
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:creation_record", args=[project.pk])
        assert client.get(url).status_code == 200
        data = {
            "organisation": personas.structure.pk,
            "siret": "12345678901234",
            "created_on": "2025-02-03",
            "legal_form": "sasu",
            "jobs_at_creation": "1",
        }
        bad = client.post(url, data)
        assert bad.status_code == 200
        assert "Ce SIRET n'est pas valide (clé de contrôle)." in text(bad)
        _nothing_written(project)
        assert client.post(url, {**data, "siret": VALID_SIRET}).status_code == 302
        page = text(client.get(url))
        assert "732829320" in page
        assert "6 mois" in page

    def test_creation_at_a_stage_that_does_not_allow_it(self, fabrique, personas):
        project = ProjectFactory(holder=holder_followed_by(fabrique, personas.structure), state=JourneyState.AWARENESS)
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:creation_record", args=[project.pk])
        assert "la création s'enregistre depuis la structuration ou le financement" in text(client.get(url))
        data = {"siret": VALID_SIRET, "created_on": "2025-02-03", "legal_form": "sasu", "jobs_at_creation": "1"}
        response = client.post(url, {**data, "organisation": personas.structure.pk})
        assert response.status_code == 200
        assert "il ne peut pas passer à « Création ou reprise »" in text(response)
        _nothing_written(project, JourneyState.AWARENESS)

    def test_financing_create_and_update(self, project, personas):
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:financing_create", args=[project.pk])
        assert client.get(url).status_code == 200
        org = {"organisation": personas.structure.pk}  # the hidden field of a single structure
        bad = client.post(
            url, {**org, "label": "Prêt", "amount_requested": "100", "status": "submitted", "amount_granted": "50"}
        )
        assert "Le montant accordé ne se saisit que pour une demande accordée." in text(bad)
        assert not FinancingRequest.objects.exists()
        assert (
            client.post(url, {**org, "label": "Prêt", "amount_requested": "100", "status": "submitted"}).status_code
            == 302
        )
        financing = FinancingRequest.objects.get()
        update = reverse("journeys:financing_update", args=[financing.pk])
        response = client.post(
            update, {"label": "Prêt", "amount_requested": "100", "status": "granted", "amount_granted": "100"}
        )
        assert response.status_code == 302
        financing.refresh_from_db()
        assert financing.amount_granted == Decimal("100")
        # Another structure, even one following the holder, does not edit this structure's request.
        SupportLink.objects.create(holder=project.holder, organisation=personas.other_structure, origin="registered")
        assert client_on(HOST, personas.other_structure_advisor).get(update).status_code == 404

    @pytest.mark.parametrize("persona", ["holder", "funder_staff", "territory_staff", "other_structure_advisor"])
    def test_others_get_404(self, project, personas, persona):
        record = _create_record(project, personas)
        client = client_on(HOST, getattr(personas, persona))
        for url in (
            reverse("journeys:financing_create", args=[project.pk]),
            reverse("journeys:creation_record", args=[project.pk]),
            reverse("journeys:check_update", args=[record.checks.first().pk]),
        ):
            assert client.get(url).status_code == 404, url
        if persona != "other_structure_advisor":
            assert client.get(reverse("journeys:check_list")).status_code == 404

    def test_check_list_and_update(self, project, personas, fabrique):
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:check_list")
        _create_record(project, personas, created_on=timezone.localdate() - datetime.timedelta(days=200))
        with CaptureQueriesContext(connection) as one:
            page = client.get(url)
        assert "Food truck" in text(page)
        for _ in range(4):
            other = ProjectFactory(holder=holder_followed_by(fabrique, personas.structure), state="structuring")
            _create_record(other, personas, created_on=timezone.localdate() - datetime.timedelta(days=380))
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == len(one)
        check = PostCreationCheck.objects.filter(creation__project=project, months_after=6).get()
        update = reverse("journeys:check_update", args=[check.pk])
        missing = client.post(update, {"jobs": "2"})
        assert "Indiquez si l'entreprise est toujours en activité." in text(missing)
        assert client.post(update, {"is_active": "False", "closed_on": "2030-01-01"}).status_code == 200
        assert client.post(update, {"is_active": "True", "jobs": "2"}).status_code == 302
        check.refresh_from_db()
        assert (check.is_active, check.jobs) == (True, 2)

    def test_holder_actions_fragment(self, fabrique, personas, rf):
        holder = holder_followed_by(fabrique, personas.structure)
        ready = ProjectFactory(holder=holder, state="financing", title="Boulangerie")
        early = ProjectFactory(holder=holder, state="awareness", title="Atelier vélo")
        html = render_to_string(
            "journeys/coordination/_holder_actions.html",
            {"holder": holder, "projects": [ready, early], "acting_organisations": [personas.structure]},
        )
        assert reverse("journeys:referral_create", args=[holder.pk]) in html
        assert reverse("journeys:financing_create", args=[early.pk]) in html
        assert html.count("Enregistrer la création") == 1
        assert (
            render_to_string(
                "journeys/coordination/_holder_actions.html",
                {"holder": holder, "projects": [ready], "acting_organisations": []},
            ).strip()
            == ""
        )


def test_a_funder_is_not_a_creation_organisation(project, personas, fabrique):
    funder = OrganisationFactory(funder=True, fabriques=[fabrique])
    with pytest.raises(ValidationError, match="ne suit pas ce porteur"):
        _create_record(project, personas, organisation=funder)
