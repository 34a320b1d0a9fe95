"""The eligibility engine of « Quelle aide pour moi ? »: pure rules on unsaved objects, no database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from accompaniment.catalogue.matching import (
    Answers,
    Match,
    format_amount,
    format_date,
    format_percent,
    match_aid,
    match_structure,
    rank,
)
from accompaniment.catalogue.models import AidScheme, Offer
from accompaniment.vocabulary import Audience, ProjectKind, Sector, Situation, Stage

TODAY = datetime.date(2026, 6, 15)
NBSP = "\u00a0"


def aid(**fields: object) -> AidScheme:
    return AidScheme(
        **{"name": "Aide", "kind": AidScheme.Kind.GRANT, "coverage": AidScheme.Coverage.NATIONAL, **fields}
    )


def texts(match: Match) -> list[str]:
    return [reason.text for reason in match.reasons]


def test_no_condition_is_eligible():
    match = match_aid(aid(), Answers(), today=TODAY)
    assert match.eligible is True


@pytest.mark.parametrize(
    ("in_qpv", "eligible", "text"),
    [
        (True, True, "Réservé aux habitants des quartiers prioritaires : c'est votre cas"),
        (False, False, "Réservé aux habitants des quartiers prioritaires : ce n'est pas votre cas"),
        (None, None, "Réservé aux habitants des quartiers prioritaires (vérifiez votre adresse pour le savoir)"),
    ],
)
def test_qpv_residence(in_qpv, eligible, text):
    match = match_aid(aid(requires_qpv_residence=True), Answers(in_qpv=in_qpv), today=TODAY)
    assert match.eligible is eligible
    assert text in texts(match)


@pytest.mark.parametrize(
    ("answers", "eligible"),
    [
        (Answers(age=25), True),
        (Answers(age=26), False),
        (Answers(age=17), False),
        (Answers(age=18), True),
        (Answers(), None),
        (Answers(birth_year=2026 - 22), True),  # 21 or 22
        (Answers(birth_year=2026 - 26), None),  # 25 or 26: depends on the birthday
        (Answers(birth_year=2026 - 40), False),
    ],
)
def test_age_bounds(answers, eligible):
    match = match_aid(aid(age_min=18, age_max=25), answers, today=TODAY)
    assert match.eligible is eligible
    assert texts(match)[0].startswith("Réservé aux personnes de 18 à 25 ans")


def test_age_rules_in_french():
    assert "Réservé aux moins de 26 ans : c'est votre cas" in texts(match_aid(aid(age_max=25), Answers(age=20)))
    assert "Réservé aux personnes de 50 ans et plus : ce n'est pas votre cas" in texts(
        match_aid(aid(age_min=50), Answers(age=20))
    )


@pytest.mark.parametrize(
    ("situation", "eligible"), [(Situation.JOB_SEEKER, True), (Situation.EMPLOYEE, False), ("", None)]
)
def test_situations(situation, eligible):
    match = match_aid(aid(situations=[Situation.JOB_SEEKER, Situation.RSA]), Answers(situation=situation), today=TODAY)
    assert match.eligible is eligible
    assert texts(match)[0].startswith(
        "Réservé aux personnes dans l'une de ces situations : Demandeur d'emploi, Allocataire du RSA"
    )


@pytest.mark.parametrize(("sector", "eligible"), [(Sector.CRAFTS, True), (Sector.DIGITAL, False), ("", None)])
def test_sectors(sector, eligible):
    match = match_aid(aid(sectors=[Sector.CRAFTS, Sector.FOOD]), Answers(sector=sector), today=TODAY)
    assert match.eligible is eligible
    assert texts(match)[0].startswith("Pour les secteurs : Artisanat, Restauration et alimentation")


@pytest.mark.parametrize(
    ("kinds", "answer", "eligible", "text"),
    [
        ([ProjectKind.CREATION], ProjectKind.CREATION, True, "Pour la création, pas la reprise : c'est votre cas"),
        ([ProjectKind.CREATION], ProjectKind.TAKEOVER, False, "Pour la création, pas la reprise : ce n'est pas votre cas"),
        ([ProjectKind.TAKEOVER], ProjectKind.CREATION, False, "Pour la reprise, pas la création : ce n'est pas votre cas"),
        ([ProjectKind.CREATION], "", None, "Pour la création, pas la reprise (dites-nous s'il s'agit d'une création ou d'une reprise)"),
    ],
)  # fmt: skip
def test_project_kind(kinds, answer, eligible, text):
    match = match_aid(aid(project_kinds=kinds), Answers(project_kind=answer), today=TODAY)
    assert (match.eligible, texts(match)) == (eligible, [text])


def test_both_project_kinds_is_no_condition():
    match = match_aid(aid(project_kinds=[ProjectKind.CREATION, ProjectKind.TAKEOVER]), Answers(), today=TODAY)
    assert (match.eligible, match.reasons) == (True, [])


@pytest.mark.parametrize(
    ("answers", "eligible"),
    [
        (Answers(business_age_months=12), True),
        (Answers(business_age_months=36), True),
        (Answers(business_age_months=37), False),
        (Answers(stage=Stage.EMERGENCE), True),  # not created yet
        (Answers(stage=Stage.POST_CREATION), None),
        (Answers(), None),
    ],
)
def test_business_age(answers, eligible):
    match = match_aid(aid(max_business_age_months=36), answers, today=TODAY)
    assert match.eligible is eligible
    assert texts(match)[0].startswith("Pour les entreprises de 36 mois au plus")


def test_dates():
    closed = match_aid(aid(closes_on=datetime.date(2026, 3, 1)), Answers(), today=TODAY)
    assert (closed.eligible, texts(closed)) == (False, ["Clôturé depuis le 1er mars 2026"])
    not_yet = match_aid(aid(opens_on=datetime.date(2026, 9, 10)), Answers(), today=TODAY)
    assert (not_yet.eligible, texts(not_yet)) == (False, ["Ouvre le 10 septembre 2026"])
    open_until = match_aid(aid(closes_on=TODAY), Answers(), today=TODAY)
    assert (open_until.eligible, texts(open_until)) == (True, ["Ouvert jusqu'au 15 juin 2026"])


def test_amounts_rate_and_duration_in_french():
    honour_loan = aid(
        kind=AidScheme.Kind.HONOUR_LOAN,
        amount_max=Decimal("8000.00"),
        rate_percent=Decimal("0.00"),
        duration_months_max=60,
    )
    assert texts(match_aid(honour_loan, Answers(), today=TODAY)) == [
        f"Jusqu'à 8{NBSP}000{NBSP}€",
        f"Prêt à 0{NBSP}%",
        "Sur 60 mois au plus",
    ]
    ranged = aid(amount_min=Decimal("1000"), amount_max=Decimal("15000"), rate_percent=Decimal("2.50"))
    assert texts(match_aid(ranged, Answers(), today=TODAY)) == [
        f"De 1{NBSP}000{NBSP}€ à 15{NBSP}000{NBSP}€",
        f"Taux de 2,5{NBSP}%",
    ]
    assert texts(match_aid(aid(amount_min=500), Answers(), today=TODAY)) == [f"À partir de 500{NBSP}€"]


def test_formatting():
    assert format_amount(8000) == f"8{NBSP}000{NBSP}€"
    assert format_amount(Decimal("1234567.50")) == f"1{NBSP}234{NBSP}567,50{NBSP}€"
    assert format_amount(Decimal("0")) == f"0{NBSP}€"
    assert format_percent(Decimal("0.00")) == f"0{NBSP}%"
    assert format_percent(Decimal("10.00")) == f"10{NBSP}%"
    assert format_date(datetime.date(2025, 12, 31)) == "31 décembre 2025"


def test_stage_is_relevance_not_eligibility():
    financing = aid(stages=[Stage.FINANCING])
    later = match_aid(financing, Answers(stage=Stage.EMERGENCE), today=TODAY)
    assert (later.eligible, texts(later)) == (True, ["Intervient aux étapes : Financement"])
    now = match_aid(financing, Answers(stage=Stage.FINANCING), today=TODAY)
    assert texts(now) == ["Intervient à votre étape : Financement"]


def test_one_failing_condition_beats_unknown_ones():
    strict = aid(requires_qpv_residence=True, age_max=25, sectors=[Sector.DIGITAL])
    assert match_aid(strict, Answers(age=40), today=TODAY).eligible is False
    assert match_aid(strict, Answers(age=20), today=TODAY).eligible is None
    assert match_aid(strict, Answers(age=20, in_qpv=True, sector=Sector.DIGITAL), today=TODAY).eligible is True


def test_rank_puts_eligible_first_then_unknown_then_not_eligible_stably():
    matches = [Match("a", False), Match("b", None), Match("c", True), Match("d", False), Match("e", True)]
    assert [m.subject for m in rank(matches)] == ["c", "e", "b", "a", "d"]


def test_answers_round_trip_through_the_session_and_reject_garbage():
    answers = Answers(commune_insee="59512", in_qpv=False, age=30, stage=Stage.FINANCING, business_age_months=None)
    assert Answers.from_session(answers.to_session()) == answers
    assert Answers.from_session(None) is None
    assert Answers.from_session({"age": "trente"}) is None
    assert Answers.from_session({"age": True}) is None
    assert Answers.from_session({"in_qpv": "oui"}) is None


# ------------------------------------------------------------------------------ structures
def structure(*offers: Offer) -> SimpleNamespace:
    return SimpleNamespace(offers=SimpleNamespace(all=lambda: list(offers)))


def offer(title: str = "Accompagnement", **fields: object) -> Offer:
    return Offer(title=title, theme=Offer.Theme.COACHING, **fields)


def test_structure_with_an_offer_at_the_persons_stage_fits():
    match = match_structure(
        structure(offer("Atelier idée", stages=[Stage.EMERGENCE]), offer("Comité", stages=[Stage.FINANCING])),
        Answers(stage=Stage.FINANCING),
        today=TODAY,
    )
    assert match.eligible is True
    assert "Comité (Accompagnement individuel)" in texts(match)
    assert "Accompagne à votre étape : Financement" in texts(match)


def test_structure_audiences():
    young = structure(offer("Jeunes", audiences=[Audience.UNDER_26]))
    assert match_structure(young, Answers(age=22), today=TODAY).eligible is True
    assert match_structure(young, Answers(age=40), today=TODAY).eligible is False
    assert match_structure(young, Answers(), today=TODAY).eligible is None
    qpv = structure(offer("Quartiers", audiences=[Audience.QPV_RESIDENTS, Audience.JOB_SEEKERS]))
    assert match_structure(qpv, Answers(in_qpv=False, situation=Situation.JOB_SEEKER), today=TODAY).eligible is True
    assert match_structure(qpv, Answers(in_qpv=False, situation=Situation.EMPLOYEE), today=TODAY).eligible is False
    everyone = structure(offer("Tous", audiences=[Audience.EVERYONE]))
    assert match_structure(everyone, Answers(), today=TODAY).eligible is True


def test_structure_without_a_fitting_offer_says_why():
    match = match_structure(
        structure(offer("Suivi post-création", stages=[Stage.POST_CREATION])), Answers(stage=Stage.EMERGENCE)
    )
    assert match.eligible is False
    assert texts(match) == ["Suivi post-création : proposé aux étapes Développement après la création"]
    inactive = match_structure(structure(offer(is_active=False)), Answers(), today=TODAY)
    assert (inactive.eligible, texts(inactive)) == (False, ["Aucune offre publiée pour le moment"])
