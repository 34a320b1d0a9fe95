"""Financing requests, the creation record and the post-creation checks.

The database's check constraints are the last line; these services say the same rules first,
in French, so that a form shows them and nothing is written. Recording a creation moves the
project to the creation stage and schedules the checks at 6 months, 1, 2 and 3 years.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accompaniment.catalogue.selectors import aid_schemes_visible_in
from accompaniment.journeys.models import (
    CreationRecord,
    FinancingRequest,
    JourneyState,
    LegalForm,
    PostCreationCheck,
    Project,
    SupportLink,
)
from accompaniment.journeys.models.outcome import POST_CREATION_MILESTONES
from accompaniment.journeys.projects import project_transition
from fabrique.models import Organisation
from fabrique.validators import validate_siret

FINANCING_FIELDS = (
    "aid_scheme",
    "label",
    "amount_requested",
    "committee_on",
    "status",
    "amount_granted",
    "bank_loan_leveraged",
    "amount_disbursed",
    "disbursed_on",
)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months, on the month's last day when it is shorter (31 → 30, 29 Feb → 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _require_follows(project: Project, organisation: Organisation, field: str = "organisation") -> None:
    if not SupportLink.objects.live().filter(holder_id=project.holder_id, organisation=organisation).exists():
        raise ValidationError({field: [_("Votre structure ne suit pas ce porteur.")]})


# --------------------------------------------------------------------------- financing


def financing_errors(values: Mapping[str, Any], project: Project, current: FinancingRequest | None = None) -> dict:
    """French errors of a financing request's values, by field (empty when they are consistent)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    aid, label = values.get("aid_scheme"), (values.get("label") or "").strip()
    if aid is None and not label:
        add("aid_scheme", _("Choisissez un dispositif du catalogue ou nommez le financement."))
    unchanged = current is not None and aid is not None and aid.pk == current.aid_scheme_id
    visible = aid_schemes_visible_in(project.holder.fabrique)
    if aid is not None and not unchanged and not visible.filter(pk=aid.pk).exists():
        add("aid_scheme", _("Ce dispositif n'est pas proposé dans cette Fabrique."))
    status = values.get("status") or FinancingRequest.Status.PREPARING
    if status not in FinancingRequest.Status.values:
        add("status", _("Choisissez un statut de la liste."))
    requested, granted = values.get("amount_requested"), values.get("amount_granted")
    leveraged, disbursed = values.get("bank_loan_leveraged"), values.get("amount_disbursed")
    if requested is None or requested <= 0:
        add("amount_requested", _("Le montant demandé doit être supérieur à 0 €."))
    for field, amount in (
        ("amount_granted", granted),
        ("bank_loan_leveraged", leveraged),
        ("amount_disbursed", disbursed),
    ):
        if amount is not None and amount < 0:
            add(field, _("Un montant ne peut pas être négatif."))
    if granted is not None and status != FinancingRequest.Status.GRANTED:
        add("amount_granted", _("Le montant accordé ne se saisit que pour une demande accordée."))
    if granted is None and status == FinancingRequest.Status.GRANTED:
        add("amount_granted", _("Indiquez le montant accordé."))
    if disbursed is not None:
        if granted is None:
            add("amount_disbursed", _("Un décaissement suppose un montant accordé."))
        elif disbursed > granted:
            add("amount_disbursed", _("Le montant décaissé ne peut pas dépasser le montant accordé."))
    if values.get("disbursed_on") and disbursed is None:
        add("amount_disbursed", _("Indiquez le montant décaissé à cette date."))
    if values.get("disbursed_on") and values["disbursed_on"] > timezone.localdate():
        add("disbursed_on", _("La date de décaissement ne peut pas être dans le futur."))
    return errors


def _financing_values(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {field: values.get(field) for field in FINANCING_FIELDS}
    cleaned["label"] = (cleaned["label"] or "").strip()
    cleaned["status"] = cleaned["status"] or FinancingRequest.Status.PREPARING
    for field in ("amount_requested", "amount_granted", "bank_loan_leveraged", "amount_disbursed"):
        amount = cleaned[field]
        if amount is not None:
            cleaned[field] = Decimal(amount)
    return cleaned


def financing_request_record(
    *, project: Project, organisation: Organisation, by: Any, values: Mapping[str, Any]
) -> FinancingRequest:
    """A structure following the holder records a financing request for the project."""
    cleaned = _financing_values(values)
    _require_follows(project, organisation)
    errors = financing_errors(cleaned, project)
    if errors:
        raise ValidationError(errors)
    request = FinancingRequest(project=project, organisation=organisation, recorded_by=by, **cleaned)
    with transaction.atomic():
        request.full_clean()
        request.save()
    return request


def financing_request_update(
    *, financing_request: FinancingRequest, by: Any, values: Mapping[str, Any]
) -> FinancingRequest:
    """Update the request's stage and amounts (committee, decision, disbursement)."""
    cleaned = _financing_values(values)
    with transaction.atomic():
        locked = (
            FinancingRequest.objects.select_for_update()
            .select_related("project__holder__fabrique")
            .get(pk=financing_request.pk)
        )
        errors = financing_errors(cleaned, locked.project, current=locked)
        if errors:
            raise ValidationError(errors)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.save(update_fields=[*FINANCING_FIELDS, "updated_at"])
    for field in FINANCING_FIELDS:
        setattr(financing_request, field, getattr(locked, field))
    return locked


# ---------------------------------------------------------------------------- creation


def creation_record_create(
    *,
    project: Project,
    siret: str,
    created_on: datetime.date,
    legal_form: str,
    jobs_at_creation: int,
    organisation: Organisation,
    by: Any,
) -> CreationRecord:
    """Record the business (SIRET), move the project to the creation stage, schedule its four checks."""
    siret = "".join((siret or "").split())
    errors: dict[str, list[str]] = {}
    try:
        validate_siret(siret)
    except ValidationError as error:
        errors["siret"] = error.messages
    if created_on is None:
        errors["created_on"] = [_("Indiquez la date de création ou de reprise.")]
    elif created_on > timezone.localdate():
        errors["created_on"] = [_("La date de création ne peut pas être dans le futur.")]
    if legal_form not in LegalForm.values or legal_form == LegalForm.UNDECIDED:
        errors["legal_form"] = [_("Choisissez la forme juridique de l'entreprise.")]
    if jobs_at_creation is None or jobs_at_creation < 1:
        errors["jobs_at_creation"] = [_("Comptez au moins un emploi : celui du créateur.")]
    if errors:
        raise ValidationError(errors)
    _require_follows(project, organisation)
    if CreationRecord.objects.filter(project=project).exists():
        raise ValidationError(_("La création de ce projet est déjà enregistrée."))
    with transaction.atomic():
        # Locks the project and raises TransitionNotAllowed (in French) unless at structuring or financing.
        project_transition(project, "record_creation", by=by, organisation=organisation)
        record = CreationRecord(
            project=project,
            siret=siret,
            created_on=created_on,
            legal_form=legal_form,
            jobs_at_creation=jobs_at_creation,
            organisation=organisation,
            recorded_by=by,
        )
        record.full_clean()
        record.save()
        Project.objects.filter(pk=project.pk).update(legal_form=legal_form)
        PostCreationCheck.objects.bulk_create(
            PostCreationCheck(creation=record, months_after=months, due_on=add_months(created_on, months))
            for months in POST_CREATION_MILESTONES
        )
    project.legal_form = legal_form
    return record


def post_creation_check_complete(
    *,
    check: PostCreationCheck,
    is_active: bool | None,
    jobs: int | None,
    closed_on: datetime.date | None,
    notes: str,
    by: Any,
) -> PostCreationCheck:
    """Record how the business is doing at this milestone (may be corrected later)."""
    errors: dict[str, list[str]] = {}
    if is_active is None:
        errors["is_active"] = [_("Indiquez si l'entreprise est toujours en activité.")]
    if closed_on is not None:
        if is_active:
            errors["closed_on"] = [_("Une date de cessation ne s'indique que si l'entreprise n'est plus en activité.")]
        elif closed_on > timezone.localdate():
            errors["closed_on"] = [_("La date de cessation ne peut pas être dans le futur.")]
        elif closed_on < check.creation.created_on:
            errors["closed_on"] = [_("La date de cessation ne peut pas précéder la création.")]
    if jobs is not None and jobs < 0:
        errors["jobs"] = [_("Le nombre d'emplois ne peut pas être négatif.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = PostCreationCheck.objects.select_for_update().select_related("creation__project").get(pk=check.pk)
        locked.is_active, locked.jobs, locked.closed_on, locked.notes = is_active, jobs, closed_on, notes.strip()
        if locked.done_at is None:
            locked.done_at, locked.done_by = timezone.now(), by
        locked.full_clean()
        locked.save(update_fields=["is_active", "jobs", "closed_on", "notes", "done_at", "done_by"])
        project = locked.creation.project
        if project.state == JourneyState.CREATION:
            # The first check done means the business is past its launch: post-creation follow-up.
            project_transition(project, "start_post_creation", by=by, organisation=locked.creation.organisation)
    return locked
