"""Data of the journeys scenarios: 20,000 holders in the bench Fabrique, an advisor whose
structure follows 2,000 of them, and one holder whose file holds a 200-entry timeline.

Created idempotently in the bench database: the bulk rows go in with COPY (psycopg 3) in one
transaction, so a second run only checks a count. Import inside `setup` functions only.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Iterator
from typing import Any

HOLDERS = 20_000
FOLLOWED_BY_ADVISOR = 2_000
OTHER_STRUCTURES = 9
FOLLOW_UPS_PER_OWN_HOLDER = 5
FOLLOW_UPS_PER_OTHER_HOLDER = 2
TIMELINE_ENTRIES = 200
ADVISOR_EMAIL = "conseiller@banc-essai.test"
STRUCTURE_NAME = "Structure de banc d'essai (suivi)"
EMAIL_DOMAIN = "porteurs.banc-essai.test"
TIMELINE_EMAIL = f"frise@{EMAIL_DOMAIN}"

FIRST_NAMES = [
    "Awa",
    "Karim",
    "Fatou",
    "Yasmine",
    "Julien",
    "Nadia",
    "Mehdi",
    "Sarah",
    "Moussa",
    "Léa",
    "Ilyes",
    "Inès",
]
LAST_NAMES = ["Diallo", "Benali", "Martin", "Sow", "Dubois", "Haddad", "Lefebvre", "Traoré", "Moreau", "Nguyen"]
SUMMARIES = [
    "Point sur l'étude de marché et les premiers clients.",
    "Travail sur le prévisionnel financier, à compléter.",
    "Présentation du projet, orientation vers un atelier.",
    "Préparation du passage en comité de prêt d'honneur.",
]

# Filled by `ensure_journeys_data()`: the advisor's session cookie, read by the scenarios' requests.
SESSION_HEADERS: dict[str, str] = {}


def _copy(model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """COPY `rows` (field name → value) into `model`'s table; a missing field gets its default."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]

    def value(field: Any, row: dict[str, Any]) -> Any:
        if field.attname in row:
            return row[field.attname]
        if field.name in row:
            found = row[field.name]
            return found.pk if hasattr(found, "pk") else found
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_default()  # "" for a blank text field, None for a nullable one

    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value(field, row) for field in fields])


def _geography(fabrique: Any) -> tuple[list[Any], list[Any]]:
    """Five (fake) communes in the bench Fabrique's first EPCI and a place in each of three."""
    from territories.models import Commune, Department, Place, Region

    region, _ = Region.objects.get_or_create(code="32", defaults={"name": "Hauts-de-France"})
    department, _ = Department.objects.get_or_create(code="59", defaults={"name": "Nord", "region": region})
    epci = fabrique.perimeter.order_by("pk").first()
    communes = [
        Commune.objects.update_or_create(
            insee=f"99{900 + number}",  # 99xxx: never a real commune
            defaults={"name": f"Commune de banc n° {number}", "department": department, "epci": epci},
        )[0]
        for number in range(1, 6)
    ]
    places = [
        Place.objects.update_or_create(
            slug=f"banc-suivi-lieu-{number}",
            defaults={
                "name": f"Espace ressource de banc n° {number}",
                "kind": Place.Kind.RESOURCE_SPACE,
                "street_address": f"{number} place du Marché",
                "postal_code": "59000",
                "commune": communes[number - 1],
            },
        )[0]
        for number in range(1, 4)
    ]
    return communes, places


def _organisations(fabrique: Any) -> tuple[Any, list[Any]]:
    from fabrique.models import Organisation

    def one(name: str) -> Any:
        organisation, _ = Organisation.objects.get_or_create(
            name=name, kind=Organisation.Kind.SUPPORT_ACTOR, defaults={}
        )
        organisation.fabriques.add(fabrique)
        return organisation

    own = one(STRUCTURE_NAME)
    return own, [one(f"Structure partenaire de banc n° {n}") for n in range(1, OTHER_STRUCTURES + 1)]


def _advisor(structure: Any) -> Any:
    """The advisor, enrolled in TOTP as the staff two-factor middleware requires."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from fabrique.models import Membership, Role, User

    user, created = User.objects.get_or_create(
        email=ADVISOR_EMAIL, defaults={"first_name": "Camille", "last_name": "Conseil"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, role=Role.ADVISOR, organisation=structure, fabrique=None)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    return user


def _session_cookie(user: Any) -> str:
    """A logged-in session for `user` in the database session store, as `login()` would leave it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _holder_rows(fabrique: Any, communes: list[Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    from accompaniment.vocabulary import Situation

    situations = [choice for choice, _label in Situation.choices]
    for number in range(HOLDERS):
        commune = communes[number % len(communes)]
        yield {
            "fabrique_id": fabrique.pk,
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": f"{rng.choice(LAST_NAMES)}-{number:05d}",
            "email": f"porteur{number:05d}@{EMAIL_DOMAIN}",
            "phone": "",
            "birth_year": 1960 + number % 45,
            "situation": situations[number % len(situations)],
            "commune_id": commune.pk,
            "postcode": "59000",
            "lives_in_qpv": number % 3 != 0,
        }


def _bulk(fabrique: Any, structure: Any, others: list[Any], advisor: Any, communes: list[Any], places: list[Any]):
    """The 20,000 holders, their links, projects and follow-ups (COPY, one transaction)."""
    from django.db import transaction
    from django.utils import timezone

    from accompaniment.journeys.models import FollowUp, Holder, JourneyState, Project, SupportLink

    rng = random.Random(5)
    today = timezone.localdate()
    states = [JourneyState.AWARENESS, JourneyState.EMERGENCE, JourneyState.STRUCTURING, JourneyState.FINANCING]
    states += [JourneyState.CREATION, JourneyState.ABANDONED]
    with transaction.atomic():
        _copy(Holder, _holder_rows(fabrique, communes, rng))
        ids = list(
            Holder.objects.filter(fabrique=fabrique, email__endswith=f"@{EMAIL_DOMAIN}")
            .exclude(email=TIMELINE_EMAIL)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        own_ids = set(ids[:: HOLDERS // FOLLOWED_BY_ADVISOR][:FOLLOWED_BY_ADVISOR])
        now = timezone.now()

        def owner(number: int, holder_id: int) -> Any:
            return structure if holder_id in own_ids else others[number % len(others)]

        _copy(
            SupportLink,
            (
                {
                    "holder_id": holder_id,
                    "organisation_id": owner(n, holder_id).pk,
                    "origin": SupportLink.Origin.REGISTERED,
                    "referent_id": advisor.pk if holder_id in own_ids and n % 2 else None,
                    "shares_file": n % 4 != 0,
                    "started_at": now - datetime.timedelta(days=n % 700),
                }
                for n, holder_id in enumerate(ids)
            ),
        )
        _copy(
            Project,
            (
                {
                    "holder_id": holder_id,
                    "title": f"Projet n° {n}",
                    "sector": "food",
                    "state": states[n % len(states)],
                    "state_entered_at": now - datetime.timedelta(days=n % 400),
                }
                for n, holder_id in enumerate(ids)
            ),
        )

        def follow_ups() -> Iterator[dict[str, Any]]:
            for n, holder_id in enumerate(ids):
                own = holder_id in own_ids
                for k in range(FOLLOW_UPS_PER_OWN_HOLDER if own else FOLLOW_UPS_PER_OTHER_HOLDER):
                    occurred = today - datetime.timedelta(days=rng.randrange(0, 500))
                    with_step = k == 0 and n % 3 == 0
                    yield {
                        "holder_id": holder_id,
                        "organisation_id": owner(n, holder_id).pk,
                        "author_id": advisor.pk if own else None,
                        "occurred_on": occurred,
                        "kind": FollowUp.Kind.INTERVIEW if k % 2 else FollowUp.Kind.PHONE,
                        "duration_minutes": 45,
                        "place_id": places[n % len(places)].pk if k % 2 else None,
                        "summary": SUMMARIES[(n + k) % len(SUMMARIES)],
                        "next_step": "Envoyer le prévisionnel" if with_step else "",
                        "next_step_due": occurred + datetime.timedelta(days=30) if with_step else None,
                        "is_shared": k % 2 == 0,
                    }

        _copy(FollowUp, follow_ups())
    _analyze(Holder, SupportLink, Project, FollowUp)


def _analyze(*models: Any) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would take its time)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _timeline_holder(fabrique: Any, structure: Any, others: list[Any], advisor: Any, places: list[Any]) -> Any:
    """One holder followed by the advisor's structure, with exactly TIMELINE_ENTRIES entries."""
    from django.db import transaction
    from django.utils import timezone

    from accompaniment.journeys.models import (
        CreationRecord,
        FinancingRequest,
        FollowUp,
        Holder,
        PostCreationCheck,
        Project,
        Referral,
        StageTransition,
        SupportLink,
        WalkIn,
    )

    existing = Holder.objects.filter(fabrique=fabrique, email=TIMELINE_EMAIL).first()
    if existing is not None:
        return existing
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        holder = Holder.objects.create(
            fabrique=fabrique, first_name="Aminata", last_name="Frise", email=TIMELINE_EMAIL, birth_year=1988
        )
        SupportLink.objects.create(
            holder=holder, organisation=structure, origin="registered", referent=advisor, shares_file=True
        )
        SupportLink.objects.create(holder=holder, organisation=others[0], origin="referral", shares_file=True)
        project = Project.objects.create(holder=holder, title="Épicerie solidaire", state="post_creation")
        counts = {"followup": 80, "transition": 40, "referral": 30, "financing": 20, "walkin": 25}
        FollowUp.objects.bulk_create(
            FollowUp(
                holder=holder,
                project=project,
                organisation=structure if n % 3 else others[0],
                author=advisor,
                occurred_on=today - datetime.timedelta(days=3 * n),
                kind=FollowUp.Kind.INTERVIEW,
                duration_minutes=60,
                place=places[n % len(places)],
                summary=SUMMARIES[n % len(SUMMARIES)],
                is_shared=n % 2 == 0,
            )
            for n in range(counts["followup"])
        )
        StageTransition.objects.bulk_create(
            StageTransition(
                project=project,
                from_state="structuring" if n % 2 else "financing",
                to_state="financing" if n % 2 else "structuring",
                by=advisor,
                organisation=structure,
                at=now - datetime.timedelta(days=5 * n),
                reason="Point d'étape",
            )
            for n in range(counts["transition"])
        )
        Referral.objects.bulk_create(
            Referral(
                holder=holder,
                project=project,
                from_organisation=structure,
                to_organisation=others[n % len(others)],
                need=Referral.Need.FINANCING,
                status=Referral.Status.ACCEPTED,
                responded_at=now,
                holder_consented_at=now,
                respond_by=today,
            )
            for n in range(counts["referral"])
        )
        FinancingRequest.objects.bulk_create(
            FinancingRequest(
                project=project, organisation=structure, label=f"Prêt d'honneur n° {n}", amount_requested=5000
            )
            for n in range(counts["financing"])
        )
        creation = CreationRecord.objects.create(
            project=project,
            siret="73282932000074",
            created_on=today - datetime.timedelta(days=800),
            legal_form="micro",
            jobs_at_creation=1,
            organisation=structure,
        )
        PostCreationCheck.objects.bulk_create(
            PostCreationCheck(
                creation=creation,
                months_after=months,
                due_on=creation.created_on + datetime.timedelta(days=30 * months),
                done_at=now - datetime.timedelta(days=10 * months),
                is_active=True,
                jobs=2,
            )
            for months in (6, 12, 24)
        )
        WalkIn.objects.bulk_create(
            WalkIn(
                fabrique=fabrique,
                place=places[n % len(places)],
                occurred_at=now - datetime.timedelta(days=7 * n),
                holder=holder,
                reason=Referral.Need.INFORMATION,
                organisation=structure,
            )
            for n in range(counts["walkin"])
        )
        # 80 + 40 + 30 + 20 + 1 creation + 3 checks + 25 walk-ins = 199, plus the done check above
        PostCreationCheck.objects.create(
            creation=creation, months_after=36, due_on=today, done_at=now, is_active=True, jobs=3
        )
    return holder


def ensure_journeys_data() -> int:
    """Everything the journeys scenarios need; returns the timeline holder's id."""
    from accompaniment.journeys.models import Holder
    from bench.fixtures import BENCH_SLUG, ensure_bench_fabrique
    from fabrique.models import Fabrique

    ensure_bench_fabrique()
    fabrique = Fabrique.objects.get(slug=BENCH_SLUG)
    communes, places = _geography(fabrique)
    structure, others = _organisations(fabrique)
    advisor = _advisor(structure)
    bulk = Holder.objects.filter(fabrique=fabrique, email__endswith=f"@{EMAIL_DOMAIN}").exclude(email=TIMELINE_EMAIL)
    if bulk.count() < HOLDERS:
        bulk.delete()  # a partial set from an interrupted run: start again
        _bulk(fabrique, structure, others, advisor, communes, places)
    holder = _timeline_holder(fabrique, structure, others, advisor, places)
    SESSION_HEADERS["Cookie"] = _session_cookie(advisor)
    return holder.pk
