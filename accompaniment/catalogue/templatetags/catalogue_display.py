"""How the public catalogue pages write amounts, coverage and eligibility in French words."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accompaniment.catalogue.lru import LRU
from accompaniment.vocabulary import ProjectKind, Sector, Situation, Stage

if TYPE_CHECKING:
    from django.forms import BoundField

    from accompaniment.catalogue.models import AidScheme

register = template.Library()


def _grouped(number: Decimal) -> str:
    """`8000` → `8&nbsp;000`, `1234.5` → `1&nbsp;234,50` (French digit groups)."""
    whole = int(number)
    text = f"{whole:,}".replace(",", "\u00a0")
    if number != whole:
        text += f"{number - whole:.2f}"[1:].replace(".", ",")
    return text


@register.filter
def euros(value: Decimal | int | None) -> SafeString | str:
    """An amount in euros, with non-breaking spaces: `8 000 €`."""
    if value is None or value == "":
        return ""
    text = _grouped(Decimal(value)).replace("\u00a0", "&nbsp;")
    return mark_safe(f"{text}&nbsp;€")


@register.filter
def amount_range(aid: AidScheme) -> SafeString | str:
    """`de 1 000 € à 8 000 €`, `jusqu'à 8 000 €`, `à partir de 500 €`, or nothing."""
    low, high = aid.amount_min, aid.amount_max
    if low is not None and high is not None:
        if low == high:
            return euros(high)
        return format_html(_("de {low} à {high}"), low=euros(low), high=euros(high))
    if high is not None:
        return format_html(_("jusqu'à {high}"), high=euros(high))
    if low is not None:
        return format_html(_("à partir de {low}"), low=euros(low))
    return ""


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}\u00a0%"


def _labels(values: list[str], choices: type[Stage] | type[Situation] | type[Sector] | type[ProjectKind]) -> str:
    names = dict(choices.choices)
    return ", ".join(str(names.get(value, value)).lower() for value in values)


@register.filter
def stage_labels(values: list[str]) -> list[str]:
    names = dict(Stage.choices)
    return [str(names.get(value, value)) for value in values]


@register.filter
def eligibility_lines(aid: AidScheme) -> list[str]:
    """The aid's structured eligibility, one sentence per condition; one line when it has none."""
    lines = []
    if aid.requires_qpv_residence:
        lines.append(_("Réservée aux habitants des quartiers prioritaires de la politique de la ville (QPV)."))
    if aid.age_min is not None and aid.age_max is not None:
        lines.append(_("De %(min)s à %(max)s ans.") % {"min": aid.age_min, "max": aid.age_max})
    elif aid.age_min is not None:
        lines.append(_("À partir de %(min)s ans.") % {"min": aid.age_min})
    elif aid.age_max is not None:
        lines.append(_("Jusqu'à %(max)s ans.") % {"max": aid.age_max})
    if aid.situations:
        lines.append(_("Pour les personnes dans l'une de ces situations : %s.") % _labels(aid.situations, Situation))
    if aid.sectors:
        lines.append(_("Secteurs d'activité : %s.") % _labels(aid.sectors, Sector))
    if aid.project_kinds and len(aid.project_kinds) < len(ProjectKind.choices):
        lines.append(_("Projets concernés : %s.") % _labels(aid.project_kinds, ProjectKind))
    if aid.max_business_age_months is not None:
        lines.append(_("Entreprise créée depuis %(months)s mois au plus.") % {"months": aid.max_business_age_months})
    if not lines:
        lines.append(_("Ouverte à tous les porteurs de projet, sans condition particulière."))
    return lines


@register.filter
def coverage_words(aid: AidScheme) -> str:
    """Where the aid applies, in words (the coverage M2M should be prefetched)."""
    from accompaniment.catalogue.models import AidScheme

    coverage = aid.coverage
    if coverage == AidScheme.Coverage.NATIONAL:
        return _("Partout en France.")
    if coverage == AidScheme.Coverage.REGION:
        names = [region.name for region in aid.coverage_regions.all()]
        return _("Région : %s.") % ", ".join(names) if names else _("Une région.")
    if coverage == AidScheme.Coverage.DEPARTMENT:
        names = [f"{d.name} ({d.code})" for d in aid.coverage_departments.all()]
        return _("Département : %s.") % ", ".join(names) if names else _("Un département.")
    if coverage == AidScheme.Coverage.EPCI:
        names = [epci.name for epci in aid.coverage_epcis.all()]
        return _("Intercommunalité : %s.") % ", ".join(names) if names else _("Une intercommunalité.")
    names = [fabrique.name for fabrique in aid.coverage_fabriques.all()]
    return _("Territoire de la Fabrique : %s.") % ", ".join(names) if names else _("Le territoire d'une Fabrique.")


# Rendered search form fields, by form, field, value and errors: a field's markup depends on
# nothing else, and Django renders each widget through its own template (a third of a search
# page's rendering, for five fields whose values rarely change).
_fields: LRU[tuple[Any, ...], SafeString] = LRU(1024)


@register.simple_tag
def search_field(field: BoundField) -> SafeString:
    """`{% include "components/field.html" with field=field %}`, rendered once per value and errors."""
    choices = tuple(getattr(field.field, "choices", ()))  # a Fabrique's communes
    key = (type(field.form), field.name, repr(field.value()), str(field.errors), choices, get_language())
    html = _fields.get(key)
    if html is None:
        html = mark_safe(render_to_string("components/field.html", {"field": field}))
        _fields.put(key, html)
    return html
