"""A holder's timeline: everything that happened in their file, newest first.

Each source (follow-ups, stage transitions, referrals, financing, creation, post-creation
checks, walk-ins…) is one function running **one** query and returning typed entries; the
entries are merged and sorted in Python. A new source (appointments, events) is one more
function in `SOURCES` and one more partial `templates/journeys/advisor/timeline/_<kind>.html`.

What a reader may see is decided here, in SQL: a follow-up's summary and next step are only
selected when `access.summary_readable_in_file` allows it (never for territory staff).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.utils import timezone

from accompaniment.appointments.models import Appointment
from accompaniment.journeys.access import summary_readable_in_file
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    FollowUp,
    Holder,
    JourneyState,
    LegalForm,
    PostCreationCheck,
    Referral,
    StageTransition,
    SupportLink,
    WalkIn,
)


@dataclass(frozen=True)
class Reader:
    """Who reads the timeline: the structures they act for, and whether they read notes at all."""

    organisation_ids: list[int] = field(default_factory=list)
    reads_notes: bool = True
    # The holder's live links (their sharing consents decide which shared notes are readable).
    file_links: list[SupportLink] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # the partial that renders it: journeys/advisor/timeline/_<kind>.html
    at: datetime.datetime  # aware; date-only sources are placed at noon, local time
    obj: Any
    date_only: bool = False

    @property
    def template_name(self) -> str:
        return f"journeys/advisor/timeline/_{self.kind}.html"


def labels(choices: Any) -> dict[str, str]:
    """Choice labels translated once: `get_FOO_display()` translates every choice on each call,
    which cost more than the queries on a 200-entry timeline."""
    return {value: str(label) for value, label in choices}


def _at_noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


# An empty condition (no structure, no note read) is a plain False: `__in=[]` cannot compile.
NEVER: Q | None = None


def _flag(condition: Q | None) -> Any:
    if condition is None:
        return Value(False, output_field=BooleanField())
    return ExpressionWrapper(condition, output_field=BooleanField())


def _text_if(condition: Q | None, column: str) -> Any:
    """The column's text when the condition holds, else an empty string (the text never leaves SQL)."""
    if condition is None:
        return Value("", output_field=CharField())
    return Case(When(condition, then=F(column)), default=Value(""), output_field=CharField())


def _own(reader: Reader, lookup: str) -> Q | None:
    if not reader.organisation_ids:
        return NEVER
    return Q(**{f"{lookup}__in": reader.organisation_ids})


_Rows = TypeVar("_Rows", bound=QuerySet[Any])


def _newest(rows: _Rows, limit: int | None, *order: str) -> _Rows:
    """The `limit` newest rows of a source (all of them without a limit)."""
    rows = rows.order_by(*order)
    return rows[:limit] if limit is not None else rows


# ------------------------------------------------------------------------------ sources
def followups(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    readable = (
        summary_readable_in_file(reader.file_links, reader.organisation_ids)
        if reader.reads_notes and reader.organisation_ids
        else NEVER
    )
    rows = (
        FollowUp.objects.filter(holder=holder)
        .select_related("organisation", "place", "project")
        .defer("summary", "next_step")  # only selected below, when readable
        .annotate(
            is_readable=_flag(readable),
            is_own=_flag(_own(reader, "organisation_id")),
            readable_summary=_text_if(readable, "summary"),
            readable_next_step=_text_if(readable, "next_step"),
        )
    )
    rows = _newest(rows, limit, "-occurred_on", "-pk")
    kinds = labels(FollowUp.Kind.choices)
    entries = []
    for row in rows:
        row.kind_label = kinds[row.kind]  # type: ignore[attr-defined]
        entries.append(TimelineEntry("followup", _at_noon(row.occurred_on), row, date_only=True))
    return entries


def transitions(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    rows = StageTransition.objects.filter(project__holder=holder).select_related("project", "organisation", "by")
    rows = _newest(rows, limit, "-at", "-pk")
    states = labels(JourneyState.choices)
    for row in rows:
        row.from_label = states.get(row.from_state, "")  # type: ignore[attr-defined]
        row.to_label = states[row.to_state]  # type: ignore[attr-defined]
    return [TimelineEntry("transition", row.at, row) for row in rows]


def referrals(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    sender, receiver = _own(reader, "from_organisation_id"), _own(reader, "to_organisation_id")
    involved = sender | receiver if sender is not None and receiver is not None else NEVER
    rows = (
        Referral.objects.filter(holder=holder)
        .select_related("from_organisation", "to_organisation", "project")
        .defer("message", "response_reason")
        .annotate(
            is_involved=_flag(involved),
            readable_message=_text_if(involved, "message"),
        )
    )
    rows = _newest(rows, limit, "-created_at", "-pk")
    needs, statuses = labels(Referral.Need.choices), labels(Referral.Status.choices)
    for row in rows:
        row.need_label = needs[row.need]  # type: ignore[attr-defined]
        row.status_label = statuses[row.status]  # type: ignore[attr-defined]
    return [TimelineEntry("referral", row.created_at, row) for row in rows]


def financing_requests(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    rows = FinancingRequest.objects.filter(project__holder=holder).select_related(
        "project", "organisation", "aid_scheme"
    )
    rows = _newest(rows, limit, "-created_at", "-pk")
    statuses = labels(FinancingRequest.Status.choices)
    for row in rows:
        row.status_label = statuses[row.status]  # type: ignore[attr-defined]
    return [TimelineEntry("financing", row.created_at, row) for row in rows]


def creations(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    rows = CreationRecord.objects.filter(project__holder=holder).select_related("project", "organisation")
    forms = labels(LegalForm.choices)
    for row in rows:
        row.legal_form_label = forms[row.legal_form]  # type: ignore[attr-defined]
    return [TimelineEntry("creation", _at_noon(row.created_on), row, date_only=True) for row in rows]


def post_creation_checks(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    """Checks done, and those due that are not done yet (future ones are not events yet)."""
    today = timezone.localdate()
    rows = (
        PostCreationCheck.objects.filter(creation__project__holder=holder)
        .filter(Q(done_at__isnull=False) | Q(due_on__lte=today))
        .select_related("creation__project")
        .defer("notes")
        # Like a follow-up summary, a check's observations stay with the structure that follows the
        # business (the one that recorded the creation).
        .annotate(readable_notes=_text_if(_own(reader, "creation__organisation_id"), "notes"))
    )
    return [
        TimelineEntry("check", row.done_at, row)
        if row.done_at
        else TimelineEntry("check", _at_noon(row.due_on), row, date_only=True)
        for row in rows
    ]


def walk_ins(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    own = _own(reader, "organisation_id")
    rows = (
        WalkIn.objects.filter(holder=holder)
        .select_related("place", "oriented_to", "organisation")
        .defer("notes")
        .annotate(readable_notes=_text_if(own, "notes"))
    )
    rows = _newest(rows, limit, "-occurred_at", "-pk")
    reasons = labels(Referral.Need.choices)
    for row in rows:
        row.reason_label = reasons[row.reason]  # type: ignore[attr-defined]
    return [TimelineEntry("walkin", row.occurred_at, row) for row in rows]


def appointments(holder: Holder, reader: Reader, limit: int | None) -> list[TimelineEntry]:
    """Appointments with any structure (date, structure, motive, status: no note of the holder's)."""
    rows = _newest(
        Appointment.objects.filter(holder=holder).select_related("organisation", "motive", "place").defer("note"),
        limit,
        "-starts_at",
        "-pk",
    )
    statuses = labels(Appointment.Status.choices)
    for row in rows:
        row.status_label = statuses[row.status]  # type: ignore[attr-defined]
    return [TimelineEntry("appointment", row.starts_at, row) for row in rows]


Source = Callable[[Holder, Reader, int | None], list[TimelineEntry]]
SOURCES: list[Source] = [
    followups,
    transitions,
    referrals,
    financing_requests,
    creations,
    post_creation_checks,
    walk_ins,
    appointments,
]


def holder_timeline(holder: Holder, reader: Reader, *, limit: int | None = None) -> tuple[list[TimelineEntry], bool]:
    """The `limit` newest entries of every source, newest first (one query per source), and
    whether older ones were left out. Each source is cut at `limit` too, so a long file costs
    no more than a short one (creations and checks are a handful per project: not cut)."""
    # One more row per source tells whether anything older was left out.
    fetch = limit + 1 if limit is not None else None
    entries = [entry for source in SOURCES for entry in source(holder, reader, fetch)]
    entries.sort(key=lambda entry: (entry.at, entry.obj.pk), reverse=True)
    if limit is None or len(entries) <= limit:
        return entries, False
    return entries[:limit], True
