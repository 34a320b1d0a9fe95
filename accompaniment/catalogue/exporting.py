"""What a Fabrique's catalogue shows, and its export as CSV or XLSX.

The columns (French headers) are the import's too (`importing.py`), so that an export
re-imported changes nothing. Only public catalogue data leaves: no person, no account.

Aid schemes (sheet « Aides »):
  identifiant (slug, the natural key), nom, nature (code), en bref, description,
  montant minimum, montant maximum, taux (%), durée maximale (mois),
  structure opératrice (slug of a structure), couverture (code), zones couvertes
  (codes separated by « | »: region or department codes, EPCI SIREN or Fabrique slugs,
  following the coverage), étapes, création ou reprise, situations, secteurs (codes
  separated by « | »), réservé QPV (oui/non), âge minimum, âge maximum,
  âge maximal de l'entreprise (mois), ouverte le, clôture le, vérifiée le (AAAA-MM-JJ),
  source, montants indicatifs (oui/non), active (oui/non).
Structures (sheet « Structures »):
  identifiant (slug), nom, réseau (code), SIRET, présentation, e-mail, téléphone,
  site internet, adresse, commune (INSEE), communes couvertes (INSEE separated by « | »),
  Fabriques (slugs separated by « | »), active (oui/non).
Choice columns take the code or the French label.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from decimal import Decimal

from accompaniment.catalogue.models import AidScheme, Structure
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in
from fabrique.models import Fabrique

SEPARATOR = "|"

AID_HEADERS = (
    "identifiant",
    "nom",
    "nature",
    "en bref",
    "description",
    "montant minimum",
    "montant maximum",
    "taux (%)",
    "durée maximale (mois)",
    "structure opératrice",
    "couverture",
    "zones couvertes",
    "étapes",
    "création ou reprise",
    "situations",
    "secteurs",
    "réservé QPV",
    "âge minimum",
    "âge maximum",
    "âge maximal de l'entreprise (mois)",
    "ouverte le",
    "clôture le",
    "vérifiée le",
    "source",
    "montants indicatifs",
    "active",
)
STRUCTURE_HEADERS = (
    "identifiant",
    "nom",
    "réseau",
    "SIRET",
    "présentation",
    "e-mail",
    "téléphone",
    "site internet",
    "adresse",
    "commune",
    "communes couvertes",
    "Fabriques",
    "active",
)
AIDS_SHEET, STRUCTURES_SHEET = "Aides", "Structures"

Cell = str | int | Decimal | datetime.date | None


# ------------------------------------------------------------------------------- rows


def _codes(values: Iterable[str]) -> str:
    return SEPARATOR.join(values)


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def aid_row(aid: AidScheme) -> list[Cell]:
    zones = {
        AidScheme.Coverage.REGION: [r.code for r in aid.coverage_regions.all()],
        AidScheme.Coverage.DEPARTMENT: [d.code for d in aid.coverage_departments.all()],
        AidScheme.Coverage.EPCI: [e.siren for e in aid.coverage_epcis.all()],
        AidScheme.Coverage.FABRIQUE: [f.slug for f in aid.coverage_fabriques.all()],
    }.get(AidScheme.Coverage(aid.coverage), [])
    return [
        aid.slug,
        aid.name,
        aid.kind,
        aid.summary,
        aid.description,
        aid.amount_min,
        aid.amount_max,
        aid.rate_percent,
        aid.duration_months_max,
        aid.operator.slug if aid.operator else "",
        aid.coverage,
        _codes(sorted(zones)),
        _codes(aid.stages),
        _codes(aid.project_kinds),
        _codes(aid.situations),
        _codes(aid.sectors),
        _yes_no(aid.requires_qpv_residence),
        aid.age_min,
        aid.age_max,
        aid.max_business_age_months,
        aid.opens_on,
        aid.closes_on,
        aid.checked_on,
        aid.source_url,
        _yes_no(aid.is_illustrative),
        _yes_no(aid.is_active),
    ]


def structure_row(structure: Structure) -> list[Cell]:
    return [
        structure.slug,
        structure.name,
        structure.network,
        structure.organisation.siret,
        structure.description,
        structure.email,
        structure.phone,
        structure.website,
        structure.street_address,
        structure.commune.insee if structure.commune else "",
        _codes(sorted(c.insee for c in structure.communes_served.all())),
        _codes(sorted(f.slug for f in structure.organisation.fabriques.all())),
        _yes_no(structure.is_active),
    ]


def export_aids(fabrique: Fabrique) -> Iterable[AidScheme]:
    return (
        aid_schemes_visible_in(fabrique)
        .select_related("operator")
        .prefetch_related("coverage_regions", "coverage_departments", "coverage_epcis", "coverage_fabriques")
        .order_by("slug")
    )


def export_structures(fabrique: Fabrique) -> Iterable[Structure]:
    return (
        structures_visible_in(fabrique)
        .select_related("organisation", "commune")
        .prefetch_related("communes_served", "organisation__fabriques")
        .order_by("slug")
    )


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def catalogue_csv(fabrique: Fabrique, *, kind: str) -> str:
    """CSV (UTF-8, comma) of the aids (kind "aides") or structures ("structures") `fabrique` shows."""
    headers, rows = _table(fabrique, kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
    return buffer.getvalue()


def _table(fabrique: Fabrique, kind: str) -> tuple[tuple[str, ...], Iterable[list[Cell]]]:
    if kind == "structures":
        return STRUCTURE_HEADERS, (structure_row(s) for s in export_structures(fabrique))
    return AID_HEADERS, (aid_row(a) for a in export_aids(fabrique))


def catalogue_xlsx(fabrique: Fabrique) -> bytes:
    """A workbook with two sheets, « Aides » then « Structures »."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheets: list[tuple[str, str]] = [(AIDS_SHEET, "aides"), (STRUCTURES_SHEET, "structures")]
    for index, (title, kind) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = title
        headers, rows = _table(fabrique, kind)
        sheet.append(list(headers))
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # text that starts with "=" stays text, never a formula
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
