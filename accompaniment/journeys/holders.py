"""Holder files: one person, one file per Fabrique.

A file is created when someone signs up on a Fabrique's portal (`holder_file_for_account`),
or when a structure registers a person (`holder_register`), after looking for a probable
duplicate (`holder_probable_duplicates`): same e-mail, or same name, birth year and commune.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accompaniment.journeys.models import Holder, SupportLink
from fabrique.models import Fabrique, Organisation


def holder_probable_duplicates(
    fabrique: Fabrique,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    birth_year: int | None = None,
    commune_id: int | None = None,
) -> QuerySet[Holder]:
    """Files of `fabrique` that are probably this person (the caller shows them, never merges)."""
    condition = Q(pk__in=[])
    if email.strip():
        condition |= Q(email_lower=email.strip().lower())
    if last_name.strip() and first_name.strip() and birth_year and commune_id:
        condition |= Q(
            last_name_lower=last_name.strip().lower(),
            first_name_lower=first_name.strip().lower(),
            birth_year=birth_year,
            commune_id=commune_id,
        )
    return (
        Holder.objects.for_fabrique(fabrique)
        .annotate(email_lower=Lower("email"), last_name_lower=Lower("last_name"), first_name_lower=Lower("first_name"))
        .filter(condition)
    )


def support_link_ensure(
    holder: Holder,
    organisation: Organisation,
    *,
    origin: SupportLink.Origin,
    referent: Any = None,
    shares_file: bool | None = None,
) -> SupportLink:
    """The live link between `holder` and `organisation`, created or revived."""
    link, created = SupportLink.objects.get_or_create(
        holder=holder, organisation=organisation, defaults={"origin": origin, "referent": referent}
    )
    fields = []
    if not created and link.ended_at is not None:
        link.ended_at, link.started_at, link.origin = None, timezone.now(), origin
        fields += ["ended_at", "started_at", "origin"]
    if referent is not None and link.referent_id is None:
        link.referent = referent
        fields.append("referent")
    if shares_file is not None and shares_file != link.shares_file:
        link.shares_file, link.consent_updated_at = shares_file, timezone.now()
        fields += ["shares_file", "consent_updated_at"]
    if fields:
        link.save(update_fields=fields)
    return link


def holder_register(
    *, fabrique: Fabrique, organisation: Organisation, advisor: Any, shares_file: bool, **fields: Any
) -> Holder:
    """A structure registers a person it meets: their file, followed by the structure."""
    with transaction.atomic():
        holder = Holder.objects.create(fabrique=fabrique, registered_by=organisation, **fields)
        support_link_ensure(
            holder, organisation, origin=SupportLink.Origin.REGISTERED, referent=advisor, shares_file=shares_file
        )
    return holder


def holder_file_for_account(user: Any, fabrique: Fabrique) -> Holder:
    """The account's file in `fabrique`: its own, or an unclaimed one registered with its e-mail
    (the structure that registered them keeps following), or a new one."""
    with transaction.atomic():
        existing = Holder.objects.for_fabrique(fabrique).filter(user=user).first()
        if existing is not None:
            return existing
        unclaimed = (
            Holder.objects.for_fabrique(fabrique)
            .select_for_update()
            .annotate(email_lower=Lower("email"))
            .filter(user__isnull=True, email_lower=user.email.lower())
            .order_by("created_at", "pk")
            .first()
        )
        if unclaimed is not None:
            unclaimed.user = user
            unclaimed.save(update_fields=["user", "updated_at"])
            return unclaimed
        try:
            with transaction.atomic():
                return Holder.objects.create(
                    fabrique=fabrique,
                    user=user,
                    email=user.email,
                    first_name=getattr(user, "first_name", "") or "",
                    last_name=getattr(user, "last_name", "") or "",
                )
        except IntegrityError:  # another first request of the account created it meanwhile
            return Holder.objects.for_fabrique(fabrique).get(user=user)
