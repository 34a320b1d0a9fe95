"""Project services: create a project, move it along its journey."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accompaniment.journeys.models import Holder, Project, StageTransition, TransitionNotAllowed
from accompaniment.journeys.models.project import TRANSITIONS
from fabrique.models import Organisation


def project_create(
    *, holder: Holder, title: str, by: Any, organisation: Organisation | None = None, **fields: Any
) -> Project:
    """A new project at the awareness stage (or `state=`), its entry recorded as a first transition."""
    with transaction.atomic():
        project = Project.objects.create(holder=holder, title=title, **fields)
        StageTransition.objects.create(
            project=project,
            from_state="",
            to_state=project.state,
            by=by if getattr(by, "is_authenticated", False) else None,
            organisation=organisation,
            at=project.state_entered_at,
        )
    return project


def project_transition(
    project: Project, name: str, *, by: Any, organisation: Organisation | None, reason: str = ""
) -> StageTransition:
    """Apply the transition `name` (a method of Project) under a row lock; TransitionNotAllowed otherwise."""
    if name not in TRANSITIONS:
        raise TransitionNotAllowed(_("Ce changement d'étape n'existe pas."), code="unknown_transition")
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        record = getattr(locked, name)(by=by, organisation=organisation, reason=reason)
    project.state, project.state_entered_at = locked.state, locked.state_entered_at
    return record
