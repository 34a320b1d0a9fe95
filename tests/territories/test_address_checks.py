"""QPV membership of an address: geocoded with the BAN (a fake server on 127.0.0.1), on the real QPV outlines."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from territories.address_checks import (
    MAX_VERIFICATION_ATTEMPTS,
    GeocoderUnavailable,
    address_check_create,
    address_check_declare,
    address_check_verify,
    address_checks_due_for_verification,
)
from territories.models import QPV, AddressCheck, Commune
from territories.tasks import address_check_verify_one, address_checks_verify_pending
from tests.territories.fake_ban import FakeBan, closed_port_url

pytestmark = pytest.mark.django_db

# A point inside QN05969M (Hautchamps Longchamp - Lionderie - 3 Baudets, Hem/Lys-lez-Lannoy/Roubaix):
# its representative point in territories/data/qpv_2024_59_62_54.csv.
IN_QN05969M = {"lat": 50.667601, "lon": 3.196493}
# The centre of Hem, outside every QPV.
HEM_CENTRE = {"lat": 50.65509, "lon": 3.19271}
HEM = {"citycode": "59299", "postcode": "59510"}


@pytest.fixture
def ban(settings):
    with FakeBan() as fake:
        settings.BAN_URL = fake.url
        settings.BAN_TIMEOUT_SECONDS = 0.5
        yield fake


@pytest.fixture
def ban_down(settings):
    settings.BAN_URL = closed_port_url()


def hem() -> Commune:
    return Commune.objects.get(insee="59299")


def declared(answer=AddressCheck.Declared.QPV, code: str | None = "QN05969M") -> AddressCheck:
    qpv = QPV.objects.get(code=code) if code else None
    return address_check_declare(address="3 rue de la Lionderie 59510", commune=hem(), answer=answer, qpv=qpv)


# --- geocoded checks ---------------------------------------------------------------------


def test_an_address_inside_a_qpv_is_verified_in_it(geography, ban):
    ban.found(label="3 Rue de la Lionderie 59510 Hem", score=0.91, **IN_QN05969M, **HEM)
    before = timezone.now()

    check = address_check_create(address="3 rue de la Lionderie", postcode="59510")

    check.refresh_from_db()
    assert check.status == AddressCheck.Status.VERIFIED
    assert check.source == AddressCheck.Source.BAN
    assert check.in_qpv is True
    assert check.qpv.code == "QN05969M"
    assert check.commune == hem()
    assert check.address == "3 Rue de la Lionderie 59510 Hem"
    assert (check.latitude, check.longitude, check.geocoding_score) == (50.667601, 3.196493, 0.91)
    assert before <= check.checked_at <= timezone.now()
    assert ban.queries == [{"q": "3 rue de la Lionderie 59510", "limit": "1", "postcode": "59510"}]


def test_an_address_outside_every_qpv_is_verified_outside(geography, ban):
    ban.found(label="Place de la République 59510 Hem", **HEM_CENTRE, **HEM)

    check = address_check_create(address="place de la République", postcode="59510")

    assert check.status == AddressCheck.Status.VERIFIED
    assert check.in_qpv is False
    assert check.qpv is None
    assert check.commune == hem()


def test_an_address_the_ban_does_not_know_is_stored_as_not_found(geography, ban):
    ban.not_found()

    check = address_check_create(address="999 allée imaginaire", postcode="59510", commune=hem())

    assert check.status == AddressCheck.Status.NOT_FOUND
    assert check.source == AddressCheck.Source.BAN
    assert check.in_qpv is None
    assert check.commune == hem()
    assert ban.queries[0]["citycode"] == "59299"


def test_a_match_of_the_whole_commune_says_nothing_of_a_neighbourhood(geography, ban):
    ban.found(label="Hem", kind="municipality", score=0.95, **IN_QN05969M, **HEM)

    check = address_check_create(address="zzz hem", postcode="59510")

    assert check.status == AddressCheck.Status.NOT_FOUND
    assert check.in_qpv is None


def test_an_unreachable_ban_raises_a_clear_error_and_stores_nothing(geography, ban_down):
    with pytest.raises(GeocoderUnavailable):
        address_check_create(address="3 rue de la Lionderie", postcode="59510")

    assert not AddressCheck.objects.exists()


def test_a_slow_ban_is_given_up_after_the_timeout(geography, ban, settings):
    settings.BAN_TIMEOUT_SECONDS = 0.2
    ban.delay = 1.5
    ban.found(label="3 Rue de la Lionderie 59510 Hem", **IN_QN05969M, **HEM)

    with pytest.raises(GeocoderUnavailable):
        address_check_create(address="3 rue de la Lionderie", postcode="59510")


# --- declarations ------------------------------------------------------------------------


def test_a_declared_qpv_is_stored_as_declared(geography):
    check = declared()

    check.refresh_from_db()
    assert check.status == AddressCheck.Status.DECLARED
    assert check.source == AddressCheck.Source.DECLARATION
    assert check.declared_answer == AddressCheck.Declared.QPV
    assert check.declared_qpv.code == check.qpv.code == "QN05969M"
    assert check.in_qpv is True
    assert check.commune == hem()


@pytest.mark.parametrize(
    ("answer", "in_qpv"), [(AddressCheck.Declared.NONE, False), (AddressCheck.Declared.UNKNOWN, None)]
)
def test_declaring_no_qpv_or_not_knowing(geography, answer, in_qpv):
    check = declared(answer, code=None)

    assert check.in_qpv is in_qpv
    assert check.qpv is None
    assert check.declared_qpv is None
    assert check.declared_answer == answer


def test_a_qpv_of_another_commune_is_refused_in_french(geography):
    with pytest.raises(ValidationError) as refused:
        declared(code="QN05981M")  # Nouveau Roubaix: in Roubaix only

    assert refused.value.message_dict == {
        "declared_qpv": ["Le quartier Nouveau Roubaix n'est pas dans la commune de Hem."]
    }
    assert not AddressCheck.objects.exists()


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        (AddressCheck.Declared.QPV, None, "Choisissez votre quartier prioritaire."),
        (AddressCheck.Declared.NONE, "QN05969M", "Un quartier n'est indiqué que si vous y habitez."),
        ("peut-être", None, "Choisissez une des réponses proposées."),
    ],
)
def test_inconsistent_declarations_are_refused(geography, answer, code, message):
    with pytest.raises(ValidationError, match=message):
        declared(answer, code=code)


# --- verification of declared checks -----------------------------------------------------


def test_verifying_a_declaration_keeps_it_beside_the_ban_result(geography, ban):
    check = declared(AddressCheck.Declared.UNKNOWN, code=None)
    ban.found(label="3 Rue de la Lionderie 59510 Hem", **IN_QN05969M, **HEM)

    verified = address_check_verify(check=check)

    verified.refresh_from_db()
    assert verified.status == AddressCheck.Status.VERIFIED
    assert verified.source == AddressCheck.Source.BAN
    assert verified.in_qpv is True
    assert verified.qpv.code == "QN05969M"
    assert verified.declared_answer == AddressCheck.Declared.UNKNOWN
    assert verified.verification_attempts == 1
    assert verified.last_error == ""
    assert ban.queries == [{"q": "3 rue de la Lionderie 59510", "limit": "1", "citycode": "59299"}]


def test_a_failed_verification_counts_the_attempt_and_its_error(geography, ban_down):
    check = declared()

    address_check_verify(check=check)

    check.refresh_from_db()
    assert check.status == AddressCheck.Status.DECLARED
    assert check.verification_attempts == 1
    assert "injoignable" in check.last_error
    assert check.in_qpv is True  # the declaration stands meanwhile


def test_a_declared_address_the_ban_does_not_know_is_not_found_and_keeps_the_declaration(geography, ban):
    check = declared()
    ban.not_found()

    address_check_verify(check=check)

    check.refresh_from_db()
    assert check.status == AddressCheck.Status.NOT_FOUND
    assert check.source == AddressCheck.Source.DECLARATION
    assert check.in_qpv is True
    assert check.declared_qpv.code == "QN05969M"


def test_a_check_that_is_not_declared_is_left_alone(geography, ban):
    ban.found(label="Place de la République 59510 Hem", **HEM_CENTRE, **HEM)
    check = address_check_create(address="place de la République", postcode="59510")

    assert address_check_verify(check=check) == check
    assert len(ban.queries) == 1


# --- background retry --------------------------------------------------------------------


def _age(check: AddressCheck, *, minutes: int, attempts: int) -> None:
    AddressCheck.objects.filter(pk=check.pk).update(
        checked_at=timezone.now() - datetime.timedelta(minutes=minutes), verification_attempts=attempts
    )


def test_retries_back_off_and_stop_after_the_last_attempt(geography):
    fresh, retried_once, retried_recently, exhausted = (declared() for _ in range(4))
    _age(retried_once, minutes=16, attempts=1)
    _age(retried_recently, minutes=30, attempts=2)  # the third attempt waits 45 minutes
    _age(exhausted, minutes=60 * 24 * 30, attempts=MAX_VERIFICATION_ATTEMPTS)

    due = set(address_checks_due_for_verification().values_list("pk", flat=True))

    assert due == {fresh.pk, retried_once.pk}


def test_the_sweep_verifies_declared_checks_once_the_ban_is_back(geography, settings):
    settings.BAN_URL = closed_port_url()
    check = declared(AddressCheck.Declared.NONE, code=None)
    assert address_checks_verify_pending() == 0
    check.refresh_from_db()
    assert (check.status, check.verification_attempts) == (AddressCheck.Status.DECLARED, 1)

    _age(check, minutes=20, attempts=1)
    with FakeBan() as ban:
        settings.BAN_URL = ban.url
        ban.found(label="3 Rue de la Lionderie 59510 Hem", **IN_QN05969M, **HEM)
        assert address_checks_verify_pending() == 1
        assert address_checks_verify_pending() == 0  # idempotent: nothing left to do
        assert len(ban.queries) == 1

    check.refresh_from_db()
    assert check.status == AddressCheck.Status.VERIFIED
    assert check.in_qpv is True
    assert check.qpv.code == "QN05969M"
    assert check.declared_answer == AddressCheck.Declared.NONE
    assert check.verification_attempts == 2


def test_the_sweep_stops_at_the_first_outage(geography, ban_down):
    first, second = declared(), declared()

    assert address_checks_verify_pending() == 0

    attempts = dict(AddressCheck.objects.values_list("pk", "verification_attempts"))
    assert attempts == {first.pk: 1, second.pk: 0}


def test_verify_one_is_idempotent(geography, ban):
    check = declared()
    ban.found(label="3 Rue de la Lionderie 59510 Hem", **IN_QN05969M, **HEM)

    assert address_check_verify_one(check.pk) == AddressCheck.Status.VERIFIED
    assert address_check_verify_one(check.pk) == "skipped"
    assert address_check_verify_one(check.pk + 1000) == "skipped"
    assert len(ban.queries) == 1


# --- retention ---------------------------------------------------------------------------


def test_old_checks_nobody_refers_to_are_purged(geography):
    from territories.address_checks import ORPHAN_RETENTION, address_checks_purge_orphans

    old, recent = declared(), declared()
    AddressCheck.objects.filter(pk=old.pk).update(
        checked_at=timezone.now() - ORPHAN_RETENTION - datetime.timedelta(days=1)
    )
    assert address_checks_purge_orphans() == 1
    assert list(AddressCheck.objects.values_list("pk", flat=True)) == [recent.pk]
    assert address_checks_purge_orphans() == 0
