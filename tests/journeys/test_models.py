"""The journey state machine, holder files and the access rules of accompaniment.journeys."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accompaniment.journeys import access, holders, projects
from accompaniment.journeys.models import (
    FollowUp,
    Holder,
    JourneyState,
    Project,
    StageTransition,
    SupportLink,
    TransitionNotAllowed,
)
from accompaniment.journeys.models.holder import validate_birth_year
from fabrique.models import Role
from tests.factories import (
    FollowUpFactory,
    HolderFactory,
    MembershipFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
    holder_followed_by,
)

pytestmark = pytest.mark.django_db


def _project(fabrique, **fields) -> Project:
    holder = HolderFactory(fabrique=fabrique)
    return projects.project_create(holder=holder, title="Food truck", by=None, **fields)


class TestJourney:
    def test_a_new_project_records_its_entry_stage(self, fabrique):
        project = _project(fabrique)
        assert project.state == JourneyState.AWARENESS
        entry = StageTransition.objects.get(project=project)
        assert (entry.from_state, entry.to_state) == ("", JourneyState.AWARENESS)

    def test_the_whole_journey_is_recorded_with_who_and_why(self, fabrique, personas):
        project = _project(fabrique)
        org = personas.structure
        for name in ("start_emergence", "start_structuring", "start_financing", "record_creation"):
            projects.project_transition(project, name, by=personas.advisor, organisation=org, reason=f"via {name}")
        projects.project_transition(project, "start_post_creation", by=personas.advisor, organisation=org)
        project.refresh_from_db()
        assert project.state == JourneyState.POST_CREATION
        path = list(StageTransition.objects.filter(project=project).values_list("from_state", "to_state", "by"))
        assert [to for _from, to, _by in path] == [
            "awareness",
            "emergence",
            "structuring",
            "financing",
            "creation",
            "post_creation",
        ]
        assert {by for _from, _to, by in path[1:]} == {personas.advisor.pk}
        assert StageTransition.objects.filter(project=project, reason="via start_financing").exists()

    def test_a_transition_not_allowed_from_the_current_stage_writes_nothing(self, fabrique):
        project = _project(fabrique)
        with pytest.raises(TransitionNotAllowed) as error:
            projects.project_transition(project, "record_creation", by=None, organisation=None)
        assert "Sensibilisation" in error.value.messages[0]
        project.refresh_from_db()
        assert project.state == JourneyState.AWARENESS
        assert StageTransition.objects.filter(project=project).count() == 1

    def test_an_unknown_transition_is_refused(self, fabrique):
        project = _project(fabrique)
        with pytest.raises(TransitionNotAllowed):
            projects.project_transition(project, "delete", by=None, organisation=None)

    def test_abandon_needs_a_reason_and_resume_goes_back_where_it_left(self, fabrique):
        project = _project(fabrique)
        projects.project_transition(project, "start_structuring", by=None, organisation=None)
        with pytest.raises(TransitionNotAllowed):
            projects.project_transition(project, "abandon", by=None, organisation=None, reason="  ")
        projects.project_transition(project, "abandon", by=None, organisation=None, reason="Trouvé un CDI")
        assert project.state == JourneyState.ABANDONED
        projects.project_transition(project, "resume", by=None, organisation=None)
        assert project.state == JourneyState.STRUCTURING

    def test_a_created_business_cannot_be_abandoned(self, fabrique):
        project = _project(fabrique, state=JourneyState.CREATION)
        assert "abandon" not in dict(project.available_transitions())
        with pytest.raises(TransitionNotAllowed):
            projects.project_transition(project, "abandon", by=None, organisation=None, reason="x")

    def test_available_transitions_follow_the_state(self, fabrique):
        project = _project(fabrique, state=JourneyState.STRUCTURING)
        names = [name for name, _label in project.available_transitions()]
        assert names == [
            "start_financing",
            "record_creation",
            "abandon",
            "reorient_to_employment",
            "reorient_to_training",
        ]


class TestHolderFiles:
    def test_birth_year_in_the_future_or_too_recent_is_refused_in_french(self):
        year = timezone.localdate().year
        with pytest.raises(ValidationError, match="futur"):
            validate_birth_year(year + 1)
        with pytest.raises(ValidationError, match="au moins"):
            validate_birth_year(year - 5)
        validate_birth_year(1985)

    def test_the_database_refuses_an_implausible_birth_year(self, fabrique):
        with pytest.raises(IntegrityError), transaction.atomic():
            HolderFactory(fabrique=fabrique, birth_year=1200)

    def test_one_file_per_account_and_fabrique(self, fabrique, other_fabrique):
        user = UserFactory()
        first = holders.holder_file_for_account(user, fabrique)
        assert holders.holder_file_for_account(user, fabrique) == first
        assert holders.holder_file_for_account(user, other_fabrique) != first

    def test_signing_up_claims_the_file_a_structure_registered_with_that_email(self, fabrique, personas):
        registered = holders.holder_register(
            fabrique=fabrique,
            organisation=personas.structure,
            advisor=personas.advisor,
            shares_file=True,
            first_name="Nadia",
            last_name="Benali",
            email="Nadia.Benali@example.test",
        )
        user = UserFactory(email="nadia.benali@example.test")
        assert holders.holder_file_for_account(user, fabrique) == registered
        registered.refresh_from_db()
        assert registered.user == user
        assert SupportLink.objects.live().filter(holder=registered, organisation=personas.structure).exists()

    def test_probable_duplicates_by_email_or_identity(self, fabrique, other_fabrique):
        commune_holder = HolderFactory(fabrique=fabrique, email="a@example.test", birth_year=1990)
        assert list(holders.holder_probable_duplicates(fabrique, email=" A@EXAMPLE.test ")) == [commune_holder]
        assert not holders.holder_probable_duplicates(other_fabrique, email="a@example.test").exists()
        assert not holders.holder_probable_duplicates(fabrique).exists()

    def test_support_link_is_revived_not_duplicated(self, fabrique, personas):
        holder = holder_followed_by(fabrique, personas.structure)
        SupportLink.objects.filter(holder=holder).update(ended_at=timezone.now())
        holders.support_link_ensure(holder, personas.structure, origin=SupportLink.Origin.REFERRAL)
        links = SupportLink.objects.filter(holder=holder)
        assert links.count() == 1
        assert links.get().ended_at is None


class TestAccess:
    def test_an_advisor_sees_only_the_holders_their_structure_follows(self, fabrique, personas):
        ours = holder_followed_by(fabrique, personas.structure)
        theirs = holder_followed_by(fabrique, personas.other_structure)
        visible = set(access.holders_visible_to(personas.advisor, fabrique))
        assert ours in visible
        assert theirs not in visible

    def test_an_ended_link_closes_the_file(self, fabrique, personas):
        holder = holder_followed_by(fabrique, personas.structure)
        SupportLink.objects.filter(holder=holder).update(ended_at=timezone.now())
        assert holder not in access.holders_visible_to(personas.advisor, fabrique)

    def test_territory_staff_see_every_holder_of_their_fabrique_only(self, fabrique, other_fabrique, personas):
        ours = HolderFactory(fabrique=fabrique)
        theirs = HolderFactory(fabrique=other_fabrique)
        visible = set(access.holders_visible_to(personas.territory_staff, fabrique))
        assert ours in visible
        assert theirs not in visible

    def test_funder_staff_and_holders_see_no_file(self, fabrique, personas):
        HolderFactory(fabrique=fabrique)
        assert not access.holders_visible_to(personas.funder_staff, fabrique).exists()
        assert not access.holders_visible_to(personas.holder, fabrique).exists()

    def test_an_advisor_of_a_structure_not_serving_the_fabrique_sees_nothing(self, fabrique, personas):
        elsewhere = OrganisationFactory(fabriques=[])
        advisor = UserFactory()
        MembershipFactory(user=advisor, role=Role.ADVISOR, organisation=elsewhere, fabrique=None)
        holder_followed_by(fabrique, elsewhere)
        assert not access.holders_visible_to(advisor, fabrique).exists()

    @pytest.mark.parametrize(
        ("is_shared", "author_shares", "reader_shares", "readable"),
        [
            (True, True, True, True),
            (False, True, True, False),
            (True, False, True, False),
            (True, True, False, False),
        ],
    )
    def test_a_note_is_read_by_another_structure_only_if_shared_and_consented(
        self, fabrique, personas, is_shared, author_shares, reader_shares, readable
    ):
        holder = HolderFactory(fabrique=fabrique)
        SupportLink.objects.create(
            holder=holder, organisation=personas.structure, origin="registered", shares_file=author_shares
        )
        SupportLink.objects.create(
            holder=holder, organisation=personas.other_structure, origin="referral", shares_file=reader_shares
        )
        note = FollowUpFactory(holder=holder, organisation=personas.structure, is_shared=is_shared)
        reader = [personas.other_structure.pk]
        assert FollowUp.objects.filter(access.summary_readable_by(reader), pk=note.pk).exists() is readable
        author = [personas.structure.pk]
        assert FollowUp.objects.filter(access.summary_readable_by(author), pk=note.pk).exists()
        # The one-file form gives the same answers.
        links = list(SupportLink.objects.filter(holder=holder))
        in_file = access.summary_readable_in_file(links, reader)
        assert FollowUp.objects.filter(in_file, pk=note.pk).exists() is readable
        assert FollowUp.objects.filter(access.summary_readable_in_file(links, author), pk=note.pk).exists()


def test_factories_make_consistent_rows(fabrique):
    project = ProjectFactory(holder=HolderFactory(fabrique=fabrique))
    assert Project.objects.for_fabrique(fabrique).get() == project
    assert Holder.objects.for_fabrique(fabrique).count() == 1
    assert project.holder.fabrique == fabrique
