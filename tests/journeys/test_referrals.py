"""Referrals between structures: services, views, and the reminder job."""

from __future__ import annotations

import datetime
import html as html_lib
import threading
import time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.journeys import referrals, tasks
from accompaniment.journeys.models import Referral, SupportLink
from accompaniment.journeys.models.referral import ReferralQuerySet
from fabrique.models import Role
from tests.conftest import _member, client_on
from tests.factories import OrganisationFactory, ProjectFactory, holder_followed_by

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
TODAY = timezone.localdate


@pytest.fixture
def holder(fabrique, personas):
    """Followed by the advisor's structure (BGE) only."""
    return holder_followed_by(fabrique, personas.structure, email="amina@example.test", phone="0612345678")


def text(response) -> str:
    """The page's text with HTML entities decoded (apostrophes come escaped or not)."""
    return html_lib.unescape(response.content.decode())


def _create(holder, personas, **overrides):
    values = {
        "holder": holder,
        "from_organisation": personas.structure,
        "to_organisation": personas.other_structure,
        "need": Referral.Need.FINANCING,
        "message": "Besoin d'un prêt d'honneur pour son food truck.",
        "holder_consented": True,
        "by": personas.advisor,
    }
    values.update(overrides)
    return referrals.referral_create(**values)


def _pending(holder, personas, **fields) -> Referral:
    values = {
        "holder": holder,
        "from_organisation": personas.structure,
        "to_organisation": personas.other_structure,
        "created_by": personas.advisor,
        "need": Referral.Need.FINANCING,
        "message": "Message confidentiel",
        "holder_consented_at": timezone.now(),
        "respond_by": TODAY() + datetime.timedelta(days=10),
    }
    values.update(fields)
    return Referral.objects.create(**values)


# ------------------------------------------------------------------------------ services


class TestReferralCreate:
    def test_creates_a_pending_referral_with_a_deadline_and_mails_the_target_on_commit(
        self, holder, personas, django_capture_on_commit_callbacks
    ):
        manager_of_target = _member(Role.STRUCTURE_MANAGER, organisation=personas.other_structure)
        with django_capture_on_commit_callbacks(execute=True):
            referral = _create(holder, personas)
        assert referral.status == Referral.Status.PENDING
        assert referral.respond_by == TODAY() + datetime.timedelta(days=referrals.REFERRAL_RESPONSE_DAYS)
        assert referral.holder_consented_at is not None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert sorted(message.to) == sorted([personas.other_structure_advisor.email, manager_of_target.email])
        assert "BGE Hauts-de-France" in message.subject
        assert "Financement" in message.subject
        body = message.body
        assert f"http://{HOST}/suivi/orientations/{referral.pk}/" in body
        # No sensitive detail in an e-mail: neither the holder's name nor the message.
        assert holder.last_name not in body
        assert "prêt d'honneur" not in body

    def test_no_mail_before_commit(self, holder, personas, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _create(holder, personas)
        assert mail.outbox == []
        assert len(callbacks) == 1

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"holder_consented": False}, "holder_consented", "L'accord du porteur est nécessaire"),
            ({"to_organisation": "structure"}, "to_organisation", "Choisissez une autre structure que la vôtre."),
            ({"need": "astrology"}, "need", "Choisissez le besoin"),
        ],
    )
    def test_refusals_write_nothing(self, holder, personas, overrides, field, message):
        overrides = {k: getattr(personas, v) if v == "structure" else v for k, v in overrides.items()}
        with pytest.raises(ValidationError) as error:
            _create(holder, personas, **overrides)
        assert message in " ".join(error.value.message_dict[field])
        assert not Referral.objects.exists()

    def test_a_structure_outside_the_fabrique_is_refused(self, holder, personas, other_fabrique):
        elsewhere = OrganisationFactory(name="BGE Littoral", fabriques=[other_fabrique])
        with pytest.raises(ValidationError) as error:
            _create(holder, personas, to_organisation=elsewhere)
        assert error.value.message_dict["to_organisation"] == ["Cette structure n'intervient pas dans cette Fabrique."]
        assert not Referral.objects.exists()

    def test_a_funder_serving_the_fabrique_is_not_a_target(self, holder, personas, fabrique):
        funder = OrganisationFactory(funder=True, fabriques=[fabrique])
        with pytest.raises(ValidationError, match="n'intervient pas dans cette Fabrique"):
            _create(holder, personas, to_organisation=funder)
        assert not Referral.objects.exists()

    def test_the_sender_must_follow_the_holder(self, fabrique, personas):
        stranger = holder_followed_by(fabrique, personas.other_structure)
        third = OrganisationFactory(fabriques=[fabrique])
        with pytest.raises(ValidationError) as error:
            _create(stranger, personas, to_organisation=third)
        assert "ne suit pas ce porteur" in error.value.message_dict["from_organisation"][0]
        assert not Referral.objects.exists()

    def test_one_pending_referral_per_need(self, holder, personas):
        _create(holder, personas)
        with pytest.raises(ValidationError) as error:
            _create(holder, personas)
        assert error.value.message_dict["need"] == [
            "Une orientation vers cette structure pour ce besoin attend déjà sa réponse."
        ]
        assert Referral.objects.count() == 1
        _create(holder, personas, need=Referral.Need.HOSTING)  # another need is fine
        assert Referral.objects.count() == 2

    def test_the_database_constraint_becomes_the_same_french_error(self, holder, personas, monkeypatch):
        _create(holder, personas)
        monkeypatch.setattr(ReferralQuerySet, "pending", lambda self: self.none())  # a twin slips past the check
        with pytest.raises(ValidationError, match="attend déjà sa réponse"):
            _create(holder, personas)
        assert Referral.objects.count() == 1


class TestReferralAnswer:
    def test_accept_links_the_target_and_mails_the_sender(self, holder, personas, django_capture_on_commit_callbacks):
        referral = _pending(holder, personas)
        with django_capture_on_commit_callbacks(execute=True):
            referrals.referral_accept(referral=referral, by=personas.other_structure_advisor)
        referral.refresh_from_db()
        assert referral.status == Referral.Status.ACCEPTED
        assert referral.responded_by == personas.other_structure_advisor
        link = SupportLink.objects.get(holder=holder, organisation=personas.other_structure)
        assert link.origin == SupportLink.Origin.REFERRAL
        assert link.referent == personas.other_structure_advisor
        assert [m.to for m in mail.outbox] == [[personas.advisor.email]]
        assert "a accepté" in mail.outbox[0].subject

    def test_only_the_target_answers(self, holder, personas):
        referral = _pending(holder, personas)
        for answer in (
            lambda: referrals.referral_accept(referral=referral, by=personas.advisor),
            lambda: referrals.referral_decline(referral=referral, by=personas.advisor, reason="Non"),
        ):
            with pytest.raises(ValidationError, match="Seule la structure destinataire"):
                answer()
        referral.refresh_from_db()
        assert referral.status == Referral.Status.PENDING
        assert not SupportLink.objects.filter(organisation=personas.other_structure).exists()

    def test_decline_needs_a_reason(self, holder, personas, django_capture_on_commit_callbacks):
        referral = _pending(holder, personas)
        with pytest.raises(ValidationError) as error:
            referrals.referral_decline(referral=referral, by=personas.other_structure_advisor, reason="  ")
        assert "Indiquez le motif du refus" in error.value.message_dict["reason"][0]
        with django_capture_on_commit_callbacks(execute=True):
            referrals.referral_decline(referral=referral, by=personas.other_structure_advisor, reason="Hors secteur")
        referral.refresh_from_db()
        assert (referral.status, referral.response_reason) == (Referral.Status.DECLINED, "Hors secteur")
        assert "a refusé" in mail.outbox[0].subject

    def test_an_answered_referral_cannot_be_answered_again(self, holder, personas):
        referral = _pending(holder, personas)
        referrals.referral_accept(referral=referral, by=personas.other_structure_advisor)
        with pytest.raises(ValidationError, match="n'attend plus de réponse"):
            referrals.referral_decline(referral=referral, by=personas.other_structure_advisor, reason="Finalement non")
        with pytest.raises(ValidationError, match="n'attend plus de réponse"):
            referrals.referral_cancel(referral=referral, by=personas.advisor)

    def test_cancel_by_the_sender_only(self, holder, personas):
        referral = _pending(holder, personas)
        with pytest.raises(ValidationError, match="Seule la structure qui a orienté"):
            referrals.referral_cancel(referral=referral, by=personas.other_structure_advisor)
        referrals.referral_cancel(referral=referral, by=personas.advisor)
        referral.refresh_from_db()
        assert referral.status == Referral.Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_concurrent_accept_and_decline_one_wins(fabrique, personas):
    holder = holder_followed_by(fabrique, personas.structure)
    referral = _pending(holder, personas)
    outcome: dict[str, object] = {}

    def decline() -> None:
        try:
            referrals.referral_decline(
                referral=Referral(pk=referral.pk), by=personas.other_structure_advisor, reason="Non"
            )
            outcome["decline"] = "won"
        except ValidationError as error:
            outcome["decline"] = error.messages[0]
        finally:
            connection.close()

    with transaction.atomic():
        # Hold the row as the accepting request does; the decline starts meanwhile and waits for the lock.
        Referral.objects.select_for_update().get(pk=referral.pk)
        racer = threading.Thread(target=decline)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the decline must wait for the row lock"
        referrals.referral_accept(referral=referral, by=personas.other_structure_advisor)
    racer.join(timeout=10)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert "n'attend plus de réponse" in str(outcome["decline"])


# --------------------------------------------------------------------------------- views


class TestReferralViews:
    def test_create_form_and_consent(self, holder, personas, fabrique):
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:referral_create", args=[holder.pk])
        page = client.get(url)
        assert page.status_code == 200
        html = text(page)
        assert "Le porteur est d'accord pour être orienté et pour que ses coordonnées soient transmises" in html
        assert "Initiative Lille Métropole" in html
        elsewhere = OrganisationFactory(name="Structure de Dunkerque")  # serves no Fabrique here
        data = {
            "from_organisation": personas.structure.pk,
            "to_organisation": personas.other_structure.pk,
            "need": "financing",
        }
        missing_consent = client.post(url, data)
        assert missing_consent.status_code == 200
        assert "L'accord du porteur est nécessaire" in text(missing_consent)
        outside = client.post(url, {**data, "to_organisation": elsewhere.pk, "holder_consented": "on"})
        assert "Cette structure n'intervient pas dans cette Fabrique." in text(outside)
        assert not Referral.objects.exists()
        done = client.post(url, {**data, "holder_consented": "on", "message": "Bonjour"})
        referral = Referral.objects.get()
        assert done.status_code == 302
        assert done["Location"] == reverse("journeys:referral_detail", args=[referral.pk])
        assert referral.created_by == personas.advisor

    def test_a_holder_the_structure_does_not_follow_is_404(self, fabrique, personas):
        stranger = holder_followed_by(fabrique, personas.other_structure)
        assert (
            client_on(HOST, personas.advisor).get(reverse("journeys:referral_create", args=[stranger.pk])).status_code
            == 404
        )

    @pytest.mark.parametrize("persona", ["holder", "funder_staff", "territory_staff", "other_fabrique_user"])
    def test_non_advisors_get_404(self, holder, personas, persona):
        referral = _pending(holder, personas)
        client = client_on(HOST, getattr(personas, persona))
        for url in (
            reverse("journeys:referral_create", args=[holder.pk]),
            reverse("journeys:referral_list"),
            reverse("journeys:referral_detail", args=[referral.pk]),
        ):
            assert client.get(url).status_code == 404, url

    def test_the_target_sees_contact_details_and_message_before_accepting(self, holder, personas):
        referral = _pending(holder, personas)
        page = client_on(HOST, personas.other_structure_advisor).get(
            reverse("journeys:referral_detail", args=[referral.pk])
        )
        html = text(page)
        assert page.status_code == 200
        assert "amina@example.test" in html
        assert "0612345678" in html
        assert "Message confidentiel" in html
        assert "Accepter l'orientation" in html

    def test_a_third_structure_gets_404(self, holder, personas, fabrique):
        third = _member(Role.ADVISOR, organisation=OrganisationFactory(fabriques=[fabrique]))
        referral = _pending(holder, personas)
        client = client_on(HOST, third)
        url = reverse("journeys:referral_detail", args=[referral.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "accept"}).status_code == 404

    def test_the_sender_cannot_answer(self, holder, personas):
        referral = _pending(holder, personas)
        url = reverse("journeys:referral_detail", args=[referral.pk])
        client = client_on(HOST, personas.advisor)
        assert client.post(url, {"action": "accept"}).status_code == 404
        assert client.post(url, {"action": "decline", "reason": "x"}).status_code == 404
        referral.refresh_from_db()
        assert referral.status == Referral.Status.PENDING

    def test_decline_with_a_reason_and_both_see_the_outcome(self, holder, personas):
        referral = _pending(holder, personas)
        url = reverse("journeys:referral_detail", args=[referral.pk])
        target = client_on(HOST, personas.other_structure_advisor)
        empty = target.post(url, {"action": "decline", "reason": ""})
        assert empty.status_code == 200
        assert "Indiquez le motif du refus" in text(empty)
        assert target.post(url, {"action": "decline", "reason": "Public hors de nos critères"}).status_code == 302
        for user in (personas.advisor, personas.other_structure_advisor):
            html = text(client_on(HOST, user).get(url))
            assert "Refusée" in html
            assert "Public hors de nos critères" in html

    def test_accept_through_the_view_and_cancel_by_the_sender(self, holder, personas):
        accepted = _pending(holder, personas)
        assert (
            client_on(HOST, personas.other_structure_advisor)
            .post(reverse("journeys:referral_detail", args=[accepted.pk]), {"action": "accept"})
            .status_code
            == 302
        )
        assert SupportLink.objects.filter(holder=holder, organisation=personas.other_structure).exists()
        cancelled = _pending(holder, personas, need=Referral.Need.HOSTING)
        sender = client_on(HOST, personas.advisor)
        assert (
            sender.post(reverse("journeys:referral_detail", args=[cancelled.pk]), {"action": "cancel"}).status_code
            == 302
        )
        cancelled.refresh_from_db()
        assert cancelled.status == Referral.Status.CANCELLED
        # Answering an answered referral: a French message, no error page.
        again = sender.post(reverse("journeys:referral_detail", args=[cancelled.pk]), {"action": "cancel"}, follow=True)
        assert "n'attend plus de réponse" in text(again)

    def test_list_received_and_sent_with_filters_and_overdue_badge(self, holder, personas, fabrique):
        received_holder = holder_followed_by(fabrique, personas.other_structure)
        _pending(holder, personas, respond_by=TODAY() - datetime.timedelta(days=1))
        _pending(
            received_holder, personas, from_organisation=personas.other_structure, to_organisation=personas.structure
        )
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:referral_list")
        html = text(client.get(url))
        assert "2 orientations" in html
        assert "En retard" in html
        assert "Reçue de Initiative Lille Métropole" in html
        assert "Envoyée à Initiative Lille Métropole" in html
        received = text(client.get(url, {"sens": "recues"}))
        assert "1 orientation" in received
        assert received_holder.full_name in received
        assert "0 orientation" in text(client.get(url, {"statut": "accepted"}))
        assert client.get(url, {"statut": "nonsense", "page": "x"}).status_code == 200

    def test_list_query_count_does_not_grow_with_rows(self, holder, personas, fabrique):
        client = client_on(HOST, personas.advisor)
        url = reverse("journeys:referral_list")
        _pending(holder, personas)
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        for need in (Referral.Need.HOSTING, Referral.Need.TRAINING, Referral.Need.OTHER):
            other = holder_followed_by(fabrique, personas.structure)
            _pending(other, personas, need=need, project=ProjectFactory(holder=other))
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == len(one)


# ----------------------------------------------------------------------------- reminders


class TestReminders:
    def test_overdue_referrals_are_reminded_once(self, holder, personas, fabrique):
        overdue = _pending(holder, personas, respond_by=TODAY() - datetime.timedelta(days=1))
        _pending(holder, personas, need=Referral.Need.HOSTING)  # not yet due
        answered = _pending(
            holder, personas, need=Referral.Need.TRAINING, respond_by=TODAY() - datetime.timedelta(days=3)
        )
        referrals.referral_accept(referral=answered, by=personas.other_structure_advisor)
        assert tasks.referrals_remind_unanswered() == 1
        assert tasks.referrals_remind_unanswered() == 0
        assert len(mail.outbox) == 1
        reminder = mail.outbox[0]
        assert reminder.to == [personas.other_structure_advisor.email]
        assert reminder.cc == [personas.advisor.email]
        assert "Relance" in reminder.subject
        assert "Financement" in reminder.subject
        assert f"/suivi/orientations/{overdue.pk}/" in reminder.body
        assert holder.last_name not in reminder.body
        overdue.refresh_from_db()
        assert overdue.reminder_sent_at is not None

    def test_a_claimed_referral_is_not_reminded_again(self, holder, personas):
        referral = _pending(holder, personas, respond_by=TODAY() - datetime.timedelta(days=1))
        Referral.objects.filter(pk=referral.pk).update(reminder_sent_at=timezone.now())  # another run claimed it
        assert tasks.referral_remind(referral.pk) is False
        assert mail.outbox == []

    def test_a_failed_send_releases_the_claim(self, holder, personas, monkeypatch):
        referral = _pending(holder, personas, respond_by=TODAY() - datetime.timedelta(days=1))

        def smtp_down(self, *args, **kwargs):
            raise OSError("SMTP unreachable")

        monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)
        with pytest.raises(OSError, match="SMTP"):
            tasks.referrals_remind_unanswered()
        referral.refresh_from_db()
        assert referral.reminder_sent_at is None
        monkeypatch.undo()
        assert tasks.referrals_remind_unanswered() == 1

    def test_the_creation_notice_is_sent_once_even_if_the_task_runs_twice(self, holder, personas):
        referral = _pending(holder, personas)
        assert tasks.referral_notify_created(referral.pk) is True
        assert tasks.referral_notify_created(referral.pk) is False
        assert len(mail.outbox) == 1

    def test_both_jobs_are_in_the_beat_schedule(self, settings):
        tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert {"journeys.referrals_remind_unanswered", "journeys.post_creation_checks_notify_due"} <= tasks_scheduled


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_reminder_once(broker_url, fabrique, personas):
    from celery.contrib.testing.worker import start_worker

    from fabrique.jobs import job_send
    from tests.fabrique.test_jobs import celery_on

    holder = holder_followed_by(fabrique, personas.structure)
    referral = _pending(holder, personas, respond_by=TODAY() - datetime.timedelta(days=2))
    with celery_on(broker_url) as live, start_worker(live, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert job_send(tasks.referrals_remind_unanswered) is True
        deadline = timezone.now() + datetime.timedelta(seconds=20)
        while not mail.outbox and timezone.now() < deadline:
            time.sleep(0.05)
        assert job_send(tasks.referrals_remind_unanswered) is True  # the next day's beat, or a redelivery
        time.sleep(1)  # the solo worker runs it meanwhile
    referral.refresh_from_db()
    assert referral.reminder_sent_at is not None
    assert len(mail.outbox) == 1
