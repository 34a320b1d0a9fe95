"""« Quelle aide pour moi ? »: a pure eligibility engine, aid schemes and structures vs answers.

`match_aid(aid, answers)` and `match_structure(structure, answers)` read only the objects'
fields (and, for a structure, its prefetched `offers`): no query, no request, no clock
unless `today` is left out. Each gives a `Match`: `eligible` is True, False, or None when
an answer the scheme needs is unknown, with French `reasons`, positive (`Reason.ok`
True), negative (False), unknown (None) or informative (amounts, rate, dates: `info`).

Why Python and not SQL: the page must show the schemes a person is *not* eligible for,
each with its reason, so every visible scheme is evaluated anyway; SQL only narrows to
what the Fabrique shows (active, coverage, curation). A Fabrique shows hundreds of schemes,
not 50,000: one query for the schemes, two for structures and their offers.

Journey stages are relevance, not eligibility, for an aid scheme: someone at the idea
stage will meet an honour loan later, so a scheme at another stage says when it comes
(informative) rather than "not for you". For a structure, offers at the person's stage
(and open to their public) are what makes it a match.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accompaniment.vocabulary import Audience, ProjectKind, Sector, Situation, Stage

if TYPE_CHECKING:
    from accompaniment.catalogue.models import AidScheme, Offer, Structure

NBSP = "\u00a0"
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# Stages at which a business exists (its age in months then means something).
NOT_YET_CREATED = frozenset({Stage.AWARENESS, Stage.EMERGENCE, Stage.STRUCTURING, Stage.FINANCING})
LOAN_KINDS = frozenset({"honour_loan", "micro_credit", "repayable_advance"})


# ------------------------------------------------------------------------------ formatting
def format_amount(value: Decimal | int | float) -> str:
    """`8000` → "8 000 €" (non-breaking spaces: between thousands and before €); cents only if any."""
    amount = Decimal(value)
    whole = int(amount)
    text = f"{whole:,}".replace(",", NBSP)
    cents = abs(amount - whole)
    if cents:
        text += "," + f"{cents:.2f}"[2:]
    return f"{text}{NBSP}€"


def format_percent(value: Decimal | int | float) -> str:
    """`0` → "0 %", `2.50` → "2,5 %"."""
    text = format(Decimal(value).normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}{NBSP}%"


def format_date(value: datetime.date) -> str:
    """`2025-03-01` → "1er mars 2025"."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def _labels(choices: type[Any], values: Iterable[str]) -> str:
    return ", ".join(str(choices(v).label) for v in values if v in choices.values)


# --------------------------------------------------------------------------------- answers
@dataclass(frozen=True)
class Answers:
    """What the person said. None (or "") means "not answered / I don't know"."""

    postcode: str = ""
    commune_insee: str = ""
    commune_name: str = ""
    in_qpv: bool | None = None
    qpv_name: str = ""
    age: int | None = None
    birth_year: int | None = None
    situation: str = ""
    stage: str = ""
    sector: str = ""
    project_kind: str = ""
    business_age_months: int | None = None

    def possible_ages(self, today: datetime.date) -> tuple[int, ...]:
        """The ages the person can have: one when given, two from a birth year, none when unknown."""
        if self.age is not None:
            return (self.age,)
        if self.birth_year is not None:
            this_year = today.year - self.birth_year
            return (this_year - 1, this_year)
        return ()

    def to_session(self) -> dict[str, Any]:
        """Plain JSON-serialisable values, for the session (never the URL)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_session(cls, data: object) -> Answers | None:
        """Answers rebuilt from `to_session()`'s output; None when absent or not understood."""
        if not isinstance(data, dict):
            return None
        kwargs: dict[str, Any] = {}
        for name, spec in cls.__dataclass_fields__.items():
            value = data.get(name, spec.default)
            if name == "in_qpv":
                valid = value is None or isinstance(value, bool)
            elif spec.default is None:
                valid = value is None or (isinstance(value, int) and not isinstance(value, bool))
            else:
                valid = isinstance(value, str)
            if not valid:
                return None
            kwargs[name] = value
        return cls(**kwargs)


# --------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Reason:
    """One French sentence; `ok` True (in your favour), False (against), None (unknown answer).

    `info` reasons (amounts, rate, dates still open) do not count for eligibility.
    """

    text: str
    ok: bool | None = None
    info: bool = False


@dataclass
class Match:
    subject: Any
    eligible: bool | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def blocking_reasons(self) -> list[Reason]:
        return [r for r in self.reasons if not r.info and r.ok is False]

    @property
    def unknown_reasons(self) -> list[Reason]:
        return [r for r in self.reasons if not r.info and r.ok is None]


def _verdict(reasons: Sequence[Reason]) -> bool | None:
    conditions = [r.ok for r in reasons if not r.info]
    if False in conditions:
        return False
    if None in conditions:
        return None
    return True


def _condition(text: str, ok: bool | None, *, unknown_hint: str) -> Reason:
    if ok is None:
        return Reason(f"{text} ({unknown_hint})", None)
    verdict = "c'est votre cas" if ok else "ce n'est pas votre cas"
    return Reason(f"{text} : {verdict}", ok)


def _age_rule(age_min: int | None, age_max: int | None) -> str:
    if age_min is not None and age_max is not None:
        return f"Réservé aux personnes de {age_min} à {age_max} ans"
    if age_max is not None:
        return f"Réservé aux moins de {age_max + 1} ans"
    return f"Réservé aux personnes de {age_min} ans et plus"


def _ages_ok(ages: Sequence[int], age_min: int | None, age_max: int | None) -> bool | None:
    results = {(age_min is None or a >= age_min) and (age_max is None or a <= age_max) for a in ages}
    if len(results) != 1:
        return None  # no age, or a birth year that straddles a bound
    return results.pop()


# ------------------------------------------------------------------------------ aid schemes
def match_aid(aid: AidScheme, answers: Answers, *, today: datetime.date | None = None) -> Match:
    """Whether `aid` is for the person who gave `answers`, and why (French)."""
    today = today or timezone.localdate()
    reasons: list[Reason] = []

    # What it gives (informative).
    if aid.amount_min is not None and aid.amount_max is not None and aid.amount_min != aid.amount_max:
        reasons.append(Reason(f"De {format_amount(aid.amount_min)} à {format_amount(aid.amount_max)}", info=True))
    elif aid.amount_max is not None:
        reasons.append(Reason(f"Jusqu'à {format_amount(aid.amount_max)}", info=True))
    elif aid.amount_min is not None:
        reasons.append(Reason(f"À partir de {format_amount(aid.amount_min)}", info=True))
    if aid.rate_percent is not None:
        prefix = "Prêt à" if aid.kind in LOAN_KINDS else "Taux de"
        reasons.append(Reason(f"{prefix} {format_percent(aid.rate_percent)}", info=True))
    if aid.duration_months_max:
        reasons.append(Reason(f"Sur {aid.duration_months_max} mois au plus", info=True))

    # Dates.
    if aid.closes_on is not None and aid.closes_on < today:
        reasons.append(Reason(f"Clôturé depuis le {format_date(aid.closes_on)}", False))
    elif aid.opens_on is not None and aid.opens_on > today:
        reasons.append(Reason(f"Ouvre le {format_date(aid.opens_on)}", False))
    elif aid.closes_on is not None:
        reasons.append(Reason(f"Ouvert jusqu'au {format_date(aid.closes_on)}", info=True))

    # Eligibility conditions.
    if aid.requires_qpv_residence:
        reasons.append(
            _condition(
                "Réservé aux habitants des quartiers prioritaires",
                answers.in_qpv,
                unknown_hint="vérifiez votre adresse pour le savoir",
            )
        )
    if aid.age_min is not None or aid.age_max is not None:
        reasons.append(
            _condition(
                _age_rule(aid.age_min, aid.age_max),
                _ages_ok(answers.possible_ages(today), aid.age_min, aid.age_max),
                unknown_hint="indiquez votre âge pour le savoir",
            )
        )
    if aid.situations:
        reasons.append(
            _condition(
                f"Réservé aux personnes dans l'une de ces situations : {_labels(Situation, aid.situations)}",
                answers.situation in aid.situations if answers.situation else None,
                unknown_hint="indiquez votre situation pour le savoir",
            )
        )
    if aid.sectors:
        reasons.append(
            _condition(
                f"Pour les secteurs : {_labels(Sector, aid.sectors)}",
                answers.sector in aid.sectors if answers.sector else None,
                unknown_hint="indiquez votre secteur pour le savoir",
            )
        )
    kinds = set(aid.project_kinds)
    if kinds and kinds != {ProjectKind.CREATION, ProjectKind.TAKEOVER}:
        rule = (
            "Pour la création, pas la reprise" if ProjectKind.CREATION in kinds else "Pour la reprise, pas la création"
        )
        reasons.append(
            _condition(
                rule,
                answers.project_kind in kinds if answers.project_kind else None,
                unknown_hint="dites-nous s'il s'agit d'une création ou d'une reprise",
            )
        )
    if aid.max_business_age_months is not None:
        rule = f"Pour les entreprises de {aid.max_business_age_months} mois au plus"
        if answers.business_age_months is not None:
            reasons.append(
                _condition(rule, answers.business_age_months <= aid.max_business_age_months, unknown_hint="")
            )
        elif answers.stage in NOT_YET_CREATED:
            reasons.append(Reason(f"{rule} : votre entreprise n'est pas encore créée", True))
        else:
            reasons.append(Reason(f"{rule} (indiquez depuis combien de mois elle existe)", None))

    # Stages: when in the journey (informative, see the module's docstring).
    if aid.stages:
        labels = _labels(Stage, aid.stages)
        if answers.stage and answers.stage in aid.stages:
            reasons.append(Reason(f"Intervient à votre étape : {Stage(answers.stage).label}", True, info=True))
        else:
            reasons.append(Reason(f"Intervient aux étapes : {labels}", info=True))

    return Match(aid, _verdict(reasons), reasons)


# ------------------------------------------------------------------------------ structures
def _audience_ok(audience: str, answers: Answers, today: datetime.date) -> bool | None:
    """Whether the person is in `audience`; None when we did not ask (women, disability…)."""
    ages = answers.possible_ages(today)
    if audience == Audience.EVERYONE:
        return True
    if audience == Audience.QPV_RESIDENTS:
        return answers.in_qpv
    if audience == Audience.UNDER_26:
        return _ages_ok(ages, None, 25)
    if audience == Audience.SENIORS:
        return _ages_ok(ages, 50, None)
    if audience == Audience.JOB_SEEKERS:
        return answers.situation == Situation.JOB_SEEKER if answers.situation else None
    if audience == Audience.RSA_RECIPIENTS:
        return answers.situation == Situation.RSA if answers.situation else None
    return None


def _offer_ok(offer: Offer, answers: Answers, today: datetime.date) -> bool | None:
    stage_ok: bool | None = True
    if offer.stages:
        stage_ok = answers.stage in offer.stages if answers.stage else None
    audience_ok: bool | None = True
    if offer.audiences:
        results = {_audience_ok(a, answers, today) for a in offer.audiences}
        audience_ok = True if True in results else (None if None in results else False)
    if stage_ok is False or audience_ok is False:
        return False
    if stage_ok is None or audience_ok is None:
        return None
    return True


def match_structure(structure: Structure, answers: Answers, *, today: datetime.date | None = None) -> Match:
    """Whether `structure` has an active offer for the person, and which. Reads `structure.offers.all()`
    (prefetch the active offers)."""
    today = today or timezone.localdate()
    offers = [o for o in structure.offers.all() if o.is_active]
    verdicts = [(offer, _offer_ok(offer, answers, today)) for offer in offers]
    fitting = [o for o, ok in verdicts if ok]
    maybe = [o for o, ok in verdicts if ok is None]
    reasons: list[Reason] = []
    if fitting:
        reasons += [Reason(f"{o.title} ({o.get_theme_display()})", True) for o in fitting]
        if answers.stage:
            reasons.append(Reason(f"Accompagne à votre étape : {Stage(answers.stage).label}", True, info=True))
        eligible: bool | None = True
    elif maybe:
        reasons += [Reason(f"{o.title} : {_offer_condition(o)}", None) for o in maybe]
        eligible = None
    else:
        if not offers:
            reasons.append(Reason("Aucune offre publiée pour le moment", False))
        for offer in offers:
            reasons.append(Reason(f"{offer.title} : {_offer_condition(offer)}", False))
        eligible = False
    return Match(structure, eligible, reasons)


def _offer_condition(offer: Offer) -> str:
    parts = []
    if offer.stages:
        parts.append(f"aux étapes {_labels(Stage, offer.stages)}")
    if offer.audiences and Audience.EVERYONE not in offer.audiences:
        parts.append(f"pour : {_labels(Audience, offer.audiences)}")
    return "proposé " + " ; ".join(parts) if parts else "ouvert à tous"


# --------------------------------------------------------------------------------- ranking
_ORDER = {True: 0, None: 1, False: 2}


def rank(matches: Iterable[Match]) -> list[Match]:
    """Eligible first, then unknown, then not eligible; each group in its given order (stable)."""
    return sorted(matches, key=lambda m: _ORDER[m.eligible])
