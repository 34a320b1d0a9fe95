"""Import of the catalogue from CSV or XLSX, with a validation report.

Columns: see `exporting.py` (an export re-imports unchanged). The kind of a table (aids or
structures) is read from its headers. The natural key is the `identifiant` column (slug):
a row whose slug exists updates that entry, otherwise it creates one, so a re-import never
duplicates. Each row is written in its own savepoint: a bad row is reported (line and
reason, in French) and skipped, the good rows are kept. A dry run rolls everything back but
reports the same counts. Funders are not imported (organisations have no public key).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accompaniment.catalogue import services
from accompaniment.catalogue.exporting import AID_HEADERS, SEPARATOR, STRUCTURE_HEADERS
from accompaniment.catalogue.models import AidScheme, Structure
from accompaniment.vocabulary import ProjectKind, Sector, Situation, Stage
from fabrique.models import Fabrique, Organisation
from territories.models import EPCI, Commune, Department, Region


class RowError(Exception):
    pass


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = _(
            "%(created)s créée(s), %(updated)s mise(s) à jour, %(unchanged)s inchangée(s), %(errors)s en erreur"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }
        return text + (_(" (vérification seule : rien n'a été enregistré)") if self.dry_run else "")


@dataclass(frozen=True)
class ImportPolicy:
    """Who imports: platform staff import everything; territory staff only aids of their own Fabrique."""

    fabrique: Fabrique | None = None  # None: platform staff

    def check_structure(self) -> None:
        if self.fabrique is not None:
            raise RowError(_("seule l'équipe de la plateforme importe des structures."))

    def check_aid(self, existing: AidScheme | None, values: dict[str, Any], areas: dict[str, list[Any]]) -> None:
        if self.fabrique is None:
            return
        own = [self.fabrique.pk]
        message = _("vous n'importez que les aides propres à votre Fabrique (couverture « fabrique », zone « %s ».") % (
            self.fabrique.slug
        )
        if values["coverage"] != AidScheme.Coverage.FABRIQUE or [f.pk for f in areas["coverage_fabriques"]] != own:
            raise RowError(message)
        if existing is not None and (
            existing.coverage != AidScheme.Coverage.FABRIQUE
            or list(existing.coverage_fabriques.values_list("pk", flat=True)) != own
        ):
            raise RowError(_("cette aide existe déjà et ne relève pas de votre seule Fabrique."))
        operator = values.get("operator")
        if operator is not None and not operator.organisation.fabriques.filter(pk=self.fabrique.pk).exists():
            raise RowError(_("la structure opératrice ne travaille pas pour votre Fabrique."))


# ---------------------------------------------------------------------------------- reading


@dataclass
class Table:
    name: str  # "" for a CSV, the sheet's title for an XLSX
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (line number, cells)


def read_tables(content: bytes, filename: str) -> list[Table]:
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    return [_read_csv(content)]


def _read_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RowError(_("le fichier n'est pas encodé en UTF-8.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines = list(reader)
    if not lines:
        return Table("", [], [])
    return Table("", lines[0], [(index, row) for index, row in enumerate(lines[1:], start=2) if any(row)])


def _read_xlsx(content: bytes) -> list[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a broken file
        raise RowError(_("le classeur XLSX est illisible.")) from None
    tables = []
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            continue
        headers = [str(cell or "") for cell in rows[0]]
        body = [
            (index, list(row)) for index, row in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in row)
        ]
        tables.append(Table(sheet.title, headers, body))
    workbook.close()
    return tables


# ----------------------------------------------------------------------------------- cells


def _clean_header(header: str) -> str:
    return " ".join(header.split()).lower()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _decimal(value: Any, column: str) -> Decimal | None:
    text = _text(value).replace(" ", "").replace("\u202f", "").replace("€", "").replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise RowError(
            _("colonne « %(column)s » : « %(value)s » n'est pas un nombre.") % {"column": column, "value": value}
        ) from None


def _integer(value: Any, column: str) -> int | None:
    number = _decimal(value, column)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        raise RowError(_("colonne « %(column)s » : un nombre entier positif est attendu.") % {"column": column})
    return int(number)


def _date(value: Any, column: str) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise RowError(
        _("colonne « %(column)s » : « %(value)s » n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA).")
        % {"column": column, "value": text}
    )


def _bool(value: Any, column: str, default: bool) -> bool:
    text = _text(value).lower()
    if not text:
        return default
    if text in ("oui", "o", "vrai", "1", "x", "yes", "true"):
        return True
    if text in ("non", "n", "faux", "0", "no", "false"):
        return False
    raise RowError(_("colonne « %(column)s » : « oui » ou « non » attendu.") % {"column": column})


def _choice(value: Any, choices: type[models.TextChoices], column: str, *, required: bool = True) -> str:
    text = _text(value)
    if not text:
        if required:
            raise RowError(_("colonne « %(column)s » : valeur obligatoire.") % {"column": column})
        return ""
    for choice in choices:
        if text.lower() in (choice.value, str(choice.label).lower()):
            return choice.value
    raise RowError(
        _("colonne « %(column)s » : « %(value)s » n'est pas une valeur possible (%(choices)s).")
        % {"column": column, "value": text, "choices": ", ".join(choices.values)}
    )


def _split(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).split(SEPARATOR) if part.strip()]


def _choices(value: Any, choices: type[models.TextChoices], column: str) -> list[str]:
    return [_choice(part, choices, column) for part in _split(value)]


def _lookup(model: type[models.Model], key: str, codes: list[str], column: str) -> list[Any]:
    found = {getattr(obj, key): obj for obj in model._default_manager.filter(**{f"{key}__in": codes})}
    missing = [code for code in codes if code not in found]
    if missing:
        raise RowError(
            _("colonne « %(column)s » : inconnu(s) : %(codes)s.") % {"column": column, "codes": ", ".join(missing)}
        )
    return [found[code] for code in codes]


def _slug(value: Any, name: str) -> str:
    slug = _text(value) or slugify(name)[:100]
    if not slug or slug != slugify(slug):
        raise RowError(
            _("colonne « identifiant » : « %(value)s » n'est pas un identifiant (minuscules, chiffres et tirets).")
            % {"value": slug}
        )
    return slug


def _required_text(value: Any, column: str) -> str:
    text = _text(value)
    if not text:
        raise RowError(_("colonne « %(column)s » : valeur obligatoire.") % {"column": column})
    return text


# ------------------------------------------------------------------------------- row → entry


AREA_LOOKUPS: dict[str, tuple[str, type[models.Model], str]] = {
    AidScheme.Coverage.REGION: ("coverage_regions", Region, "code"),
    AidScheme.Coverage.DEPARTMENT: ("coverage_departments", Department, "code"),
    AidScheme.Coverage.EPCI: ("coverage_epcis", EPCI, "siren"),
    AidScheme.Coverage.FABRIQUE: ("coverage_fabriques", Fabrique, "slug"),
}


def _import_aid(cells: dict[str, Any], policy: ImportPolicy) -> str:
    name = _required_text(cells.get("nom"), "nom")
    slug = _slug(cells.get("identifiant"), name)
    coverage = _choice(cells.get("couverture"), AidScheme.Coverage, "couverture")
    operator_slug = _text(cells.get("structure opératrice"))
    operator = _lookup(Structure, "slug", [operator_slug], "structure opératrice")[0] if operator_slug else None
    values: dict[str, Any] = {
        "name": name,
        "kind": _choice(cells.get("nature"), AidScheme.Kind, "nature"),
        "summary": _required_text(cells.get("en bref"), "en bref"),
        "description": _text(cells.get("description")),
        "amount_min": _decimal(cells.get("montant minimum"), "montant minimum"),
        "amount_max": _decimal(cells.get("montant maximum"), "montant maximum"),
        "rate_percent": _decimal(cells.get("taux (%)"), "taux (%)"),
        "duration_months_max": _integer(cells.get("durée maximale (mois)"), "durée maximale (mois)"),
        "operator": operator,
        "coverage": coverage,
        "stages": _choices(cells.get("étapes"), Stage, "étapes"),
        "project_kinds": _choices(cells.get("création ou reprise"), ProjectKind, "création ou reprise"),
        "situations": _choices(cells.get("situations"), Situation, "situations"),
        "sectors": _choices(cells.get("secteurs"), Sector, "secteurs"),
        "requires_qpv_residence": _bool(cells.get("réservé qpv"), "réservé QPV", False),
        "age_min": _integer(cells.get("âge minimum"), "âge minimum"),
        "age_max": _integer(cells.get("âge maximum"), "âge maximum"),
        "max_business_age_months": _integer(
            cells.get("âge maximal de l'entreprise (mois)"), "âge maximal de l'entreprise (mois)"
        ),
        "opens_on": _date(cells.get("ouverte le"), "ouverte le"),
        "closes_on": _date(cells.get("clôture le"), "clôture le"),
        "checked_on": _date(cells.get("vérifiée le"), "vérifiée le"),
        "source_url": _text(cells.get("source")),
        "is_illustrative": _bool(cells.get("montants indicatifs"), "montants indicatifs", False),
        "is_active": _bool(cells.get("active"), "active", True),
    }
    areas: dict[str, list[Any]] = {name: [] for name in services.COVERAGE_FIELDS}
    zones = _split(cells.get("zones couvertes"))
    if coverage in AREA_LOOKUPS:
        field_name, model, key = AREA_LOOKUPS[coverage]
        if not zones:
            raise RowError(_("colonne « zones couvertes » : précisez le territoire couvert."))
        areas[field_name] = _lookup(model, key, zones, "zones couvertes")
    elif zones:
        raise RowError(_("colonne « zones couvertes » : une aide nationale n'a pas de zone."))
    existing = AidScheme.objects.filter(slug=slug).first()
    policy.check_aid(existing, values, areas)
    if existing is None:
        services.aid_scheme_create(values={"slug": slug, **values}, coverage_areas=areas)
        return "created"
    changed = services.aid_scheme_update(aid_scheme=existing, values=values, coverage_areas=areas)
    return "updated" if changed else "unchanged"


def _import_structure(cells: dict[str, Any], policy: ImportPolicy) -> str:
    policy.check_structure()
    name = _required_text(cells.get("nom"), "nom")
    slug = _slug(cells.get("identifiant"), name)
    commune_code = _text(cells.get("commune"))
    values: dict[str, Any] = {
        "name": name,
        "network": _choice(cells.get("réseau"), Structure.Network, "réseau"),
        "description": _text(cells.get("présentation")),
        "email": _text(cells.get("e-mail")),
        "phone": _text(cells.get("téléphone")),
        "website": _text(cells.get("site internet")),
        "street_address": _text(cells.get("adresse")),
        "commune": _lookup(Commune, "insee", [commune_code], "commune")[0] if commune_code else None,
        "is_active": _bool(cells.get("active"), "active", True),
    }
    siret = "".join(_text(cells.get("siret")).split())
    communes = _lookup(Commune, "insee", _split(cells.get("communes couvertes")), "communes couvertes")
    fabriques = _lookup(Fabrique, "slug", _split(cells.get("fabriques")), "Fabriques")
    existing = Structure.objects.filter(slug=slug).first()
    if existing is None:
        services.structure_create(
            values={"slug": slug, **values}, siret=siret, fabriques=fabriques, communes_served=communes
        )
        return "created"
    changed = services.structure_update(
        structure=existing, values=values, siret=siret, fabriques=fabriques, communes_served=communes
    )
    return "updated" if changed else "unchanged"


def _kind_of(headers: list[str]) -> Callable[[dict[str, Any], ImportPolicy], str] | None:
    names = {_clean_header(h) for h in headers}
    if "nature" in names and "couverture" in names:
        return _import_aid
    if "réseau" in names:
        return _import_structure
    return None


def _field_label(name: str) -> str:
    for model in (AidScheme, Structure, Organisation):
        try:
            return str(getattr(model._meta.get_field(name), "verbose_name", name))
        except FieldDoesNotExist:
            continue
    return name


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        parts: list[str] = []
        for field_name, errors in error.message_dict.items():
            label = _field_label(field_name) if field_name != "__all__" else ""
            parts.extend(f"{label} : {message}" if label else message for message in errors)
        return " ; ".join(parts)
    return " ; ".join(error.messages)


def _where(table: Table, line: int) -> str:
    if table.name:
        return _("feuille « %(sheet)s », ligne %(line)s") % {"sheet": table.name, "line": line}
    return _("ligne %(line)s") % {"line": line}


def _rows(table: Table) -> Iterator[tuple[int, dict[str, Any]]]:
    headers = [_clean_header(h) for h in table.headers]
    for line, row in table.rows:
        yield line, dict(zip(headers, row, strict=False))


def catalogue_import(*, content: bytes, filename: str, policy: ImportPolicy, dry_run: bool = False) -> ImportReport:
    """Import every table of the file; see the module's docstring."""
    report = ImportReport(dry_run=dry_run)
    try:
        tables = read_tables(content, filename)
    except RowError as error:
        report.errors.append((_("fichier"), str(error)))
        return report
    with transaction.atomic():
        for table in tables:
            importer = _kind_of(table.headers)
            if importer is None:
                report.errors.append(
                    (
                        _where(table, 1),
                        _(
                            "en-têtes non reconnus : il faut les colonnes des aides (%(aids)s…) ou des structures (%(structures)s…)."
                        )
                        % {"aids": ", ".join(AID_HEADERS[:3]), "structures": ", ".join(STRUCTURE_HEADERS[:3])},
                    )
                )
                continue
            _import_table(table, importer, policy, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_table(
    table: Table, importer: Callable[[dict[str, Any], ImportPolicy], str], policy: ImportPolicy, report: ImportReport
) -> None:
    seen: set[str] = set()
    for line, cells in _rows(table):
        slug = _text(cells.get("identifiant"))
        where = _where(table, line)
        if slug and slug in seen:
            report.errors.append((where, _("identifiant « %s » déjà présent plus haut dans le fichier.") % slug))
            continue
        seen.add(slug)
        try:
            with transaction.atomic():
                outcome = importer(cells, policy)
        except RowError as error:
            report.errors.append((where, str(error)))
            continue
        except ValidationError as error:
            report.errors.append((where, _validation_message(error)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)


def iter_error_lines(report: ImportReport) -> Iterable[str]:
    for where, reason in report.errors:
        yield f"{where} : {reason}"
