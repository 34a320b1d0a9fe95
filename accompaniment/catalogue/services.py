"""Writes to the catalogue: structures (with their organisation), offers, aid schemes, curation.

Every service is keyword-only, atomic and validates with `full_clean()` before saving, so a
bad value raises a `ValidationError` (in French) and nothing is written. `values` holds model
fields only; many-to-many fields are passed separately (None: leave them as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accompaniment.catalogue.freshness import catalogue_changed_here
from accompaniment.catalogue.models import AidScheme, CatalogueCuration, Offer, Structure
from fabrique.models import Fabrique, Organisation
from territories.models import EPCI, Commune, Department, Place, Region


def unique_slug(model: type[Structure] | type[AidScheme], text: str, *, max_length: int = 100) -> str:
    """A slug from `text` not yet used by `model` (suffixed -2, -3… when needed)."""
    base = slugify(text)[:max_length].strip("-") or "fiche"
    slug, counter = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _assign(instance: Any, values: Mapping[str, Any]) -> bool:
    """Set `values` on `instance`; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _set_m2m(manager: Any, objects: Iterable[Any] | None) -> bool:
    if objects is None:
        return False
    wanted = {obj.pk for obj in objects}
    if set(manager.values_list("pk", flat=True)) == wanted:
        return False
    manager.set(wanted)
    return True


# ------------------------------------------------------------------------------ structures


@transaction.atomic
def structure_create(
    *,
    values: Mapping[str, Any],
    siret: str = "",
    fabriques: Iterable[Fabrique] = (),
    communes_served: Iterable[Commune] | None = None,
    organisation: Organisation | None = None,
) -> Structure:
    """Create a structure and its organisation (a support actor, same name) serving `fabriques`.

    Give `organisation` to attach an existing support-actor organisation (it is renamed).
    """
    transaction.on_commit(catalogue_changed_here)
    structure = Structure(**values)
    if organisation is None:
        organisation = Organisation(kind=Organisation.Kind.SUPPORT_ACTOR)
    elif organisation.kind != Organisation.Kind.SUPPORT_ACTOR:
        raise ValidationError(_("Une structure se rattache à une organisation de type acteur de l'accompagnement."))
    elif Structure.objects.filter(organisation=organisation).exists():
        raise ValidationError(_("Cette organisation a déjà sa fiche structure."))
    organisation.name = structure.name
    organisation.siret = siret
    if not structure.slug:
        structure.slug = unique_slug(Structure, structure.name)
    organisation.full_clean()
    structure.organisation = organisation
    structure.full_clean(exclude=["organisation"])
    organisation.save()
    structure.organisation = organisation
    structure.save()
    organisation.fabriques.add(*fabriques)
    _set_m2m(structure.communes_served, communes_served)
    return structure


@transaction.atomic
def structure_update(
    *,
    structure: Structure,
    values: Mapping[str, Any],
    siret: str | None = None,
    fabriques: Iterable[Fabrique] | None = None,
    communes_served: Iterable[Commune] | None = None,
) -> bool:
    """Update `structure` (its organisation's name follows); whether anything changed."""
    transaction.on_commit(catalogue_changed_here)
    structure = Structure.objects.select_for_update().select_related("organisation").get(pk=structure.pk)
    organisation = structure.organisation
    changed = _assign(structure, values)
    organisation_changed = _assign(organisation, {"name": structure.name})
    if siret is not None:
        organisation_changed |= _assign(organisation, {"siret": siret})
    if organisation_changed:
        organisation.full_clean()
    if changed:
        structure.full_clean()
    if organisation_changed:
        organisation.save()
    if changed:
        structure.save()
    changed |= organisation_changed
    changed |= _set_m2m(organisation.fabriques, fabriques)
    changed |= _set_m2m(structure.communes_served, communes_served)
    return changed


# ---------------------------------------------------------------------------------- offers


@transaction.atomic
def offer_create(*, structure: Structure, values: Mapping[str, Any], places: Iterable[Place] = ()) -> Offer:
    transaction.on_commit(catalogue_changed_here)
    offer = Offer(structure=structure, **values)
    offer.full_clean()
    offer.save()
    offer.places.set(list(places))
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, values: Mapping[str, Any], places: Iterable[Place] | None = None) -> bool:
    transaction.on_commit(catalogue_changed_here)
    changed = _assign(offer, values)
    if changed:
        offer.full_clean()
        offer.save()
    return _set_m2m(offer.places, places) or changed


# ----------------------------------------------------------------------------- aid schemes


def aid_scheme_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """French messages for the aid's cross-field rules (the database enforces them too)."""
    errors: dict[str, str] = {}
    amount_min, amount_max = values.get("amount_min"), values.get("amount_max")
    if amount_min is not None and amount_min < 0:
        errors["amount_min"] = _("Un montant ne peut être négatif.")
    if amount_max is not None and amount_max < 0:
        errors["amount_max"] = _("Un montant ne peut être négatif.")
    if amount_min is not None and amount_max is not None and amount_max < amount_min:
        errors["amount_max"] = _("Le montant maximum doit être supérieur ou égal au montant minimum.")
    age_min, age_max = values.get("age_min"), values.get("age_max")
    if age_min is not None and age_max is not None and age_max < age_min:
        errors["age_max"] = _("L'âge maximum doit être supérieur ou égal à l'âge minimum.")
    opens_on, closes_on = values.get("opens_on"), values.get("closes_on")
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes_on"] = _("La clôture ne peut précéder l'ouverture.")
    rate = values.get("rate_percent")
    if rate is not None and not 0 <= rate <= 100:
        errors["rate_percent"] = _("Un taux est compris entre 0 et 100 %.")
    return errors


def _validate_aid(aid: AidScheme) -> None:
    fields = ("amount_min", "amount_max", "age_min", "age_max", "opens_on", "closes_on", "rate_percent")
    errors = aid_scheme_errors({name: getattr(aid, name) for name in fields})
    if errors:
        raise ValidationError(errors)
    aid.full_clean()


@transaction.atomic
def aid_scheme_create(
    *,
    values: Mapping[str, Any],
    funders: Iterable[Organisation] = (),
    coverage_areas: Mapping[str, Iterable[Any]] | None = None,
) -> AidScheme:
    """Create an aid. `coverage_areas` maps coverage_regions/departments/epcis/fabriques to objects."""
    transaction.on_commit(catalogue_changed_here)
    aid = AidScheme(**values)
    if not aid.slug:
        aid.slug = unique_slug(AidScheme, aid.name)
    _validate_aid(aid)
    aid.save()
    aid.funders.set(list(funders))
    _set_coverage(aid, coverage_areas)
    return aid


@transaction.atomic
def aid_scheme_update(
    *,
    aid_scheme: AidScheme,
    values: Mapping[str, Any],
    funders: Iterable[Organisation] | None = None,
    coverage_areas: Mapping[str, Iterable[Any]] | None = None,
) -> bool:
    transaction.on_commit(catalogue_changed_here)
    changed = _assign(aid_scheme, values)
    if changed:
        _validate_aid(aid_scheme)
        aid_scheme.save()
    changed |= _set_m2m(aid_scheme.funders, funders)
    changed |= _set_coverage(aid_scheme, coverage_areas)
    return changed


COVERAGE_FIELDS: dict[str, type[Region] | type[Department] | type[EPCI] | type[Fabrique]] = {
    "coverage_regions": Region,
    "coverage_departments": Department,
    "coverage_epcis": EPCI,
    "coverage_fabriques": Fabrique,
}


def _set_coverage(aid: AidScheme, areas: Mapping[str, Iterable[Any]] | None) -> bool:
    if areas is None:
        return False
    changed = False
    for name in COVERAGE_FIELDS:
        changed |= _set_m2m(getattr(aid, name), areas.get(name, ()))
    return changed


# -------------------------------------------------------------------------------- curation


@transaction.atomic
def curation_set(
    *,
    fabrique: Fabrique,
    aid_scheme: AidScheme | None = None,
    structure: Structure | None = None,
    hidden: bool,
    featured: bool,
) -> CatalogueCuration | None:
    """Record what `fabrique` does with one entry; neither hidden nor featured removes the choice."""
    transaction.on_commit(catalogue_changed_here)
    if (aid_scheme is None) == (structure is None):
        raise ValueError("curation_set takes either an aid scheme or a structure.")
    if hidden and featured:
        raise ValidationError(_("Une fiche masquée ne peut pas être mise en avant."))
    target: dict[str, Any] = {"aid_scheme": aid_scheme} if aid_scheme is not None else {"structure": structure}
    existing = CatalogueCuration.objects.select_for_update().filter(fabrique=fabrique, **target).first()
    if not hidden and not featured:
        if existing is not None:
            existing.delete()
        return None
    curation = existing or CatalogueCuration(fabrique=fabrique, **target)
    curation.is_hidden, curation.is_featured = hidden, featured
    curation.full_clean()
    curation.save()
    return curation
