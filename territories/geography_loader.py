"""Load or update the official geography from the open data files (`manage.py load_geography`).

Regions, departments, EPCI and communes come from the CSV files of `territories/data/`;
the QPV from a GeoJSON file with the property names of the official ANCT export
(`code_qp`, `lib_qp`, `insee_dep`, `insee_com`, `siren_epci`), so the national file can be
loaded with the same code. A CSV beside the GeoJSON with the same stem (one row per QPV,
`code` and `area_ha` columns) gives the areas; without it the area is computed.

Idempotent and bulk: each table is read once into a dict and compared with its file; only
what differs is written, new rows with one COPY, changed rows with one UPDATE from a
temporary table filled by COPY (see `_copy_insert` for why not bulk_create/bulk_update);
the QPV's communes and EPCI through-tables are compared the same way and written with
bulk_create. Changed rows are checked with `clean_fields()` first. Rows of the database
missing from a file are kept (places and checks point to them) and counted. A malformed
row is rejected with its file, line and reason; every other row loads. Everything runs in
one transaction.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from psycopg import sql

from territories import qpv_lookup
from territories.models import EPCI, QPV, Commune, Department, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_QPV_FILE = "qpv_2024_59_62_54.geojson"
QPV_GENERATION = 2024
BATCH_SIZE = 2000

REGION_CODE = re.compile(r"\d{2,3}")
DEPARTMENT_CODE = re.compile(r"\d{2,3}|2[AB]")
INSEE_CODE = re.compile(r"\d{5}|2[AB]\d{3}")
SIREN = re.compile(r"\d{9}")
POSTAL_CODE = re.compile(r"\d{5}")
QPV_CODE = re.compile(r"Q[A-Z0-9]{7}")
# Names a GeoJSON file may give its CRS by; anything else (Lambert-93...) is refused.
WGS84_CRS_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "CRS84",
}


class GeographyFileError(Exception):
    """A whole file cannot be used (missing, unreadable, wrong columns, wrong CRS)."""


class RowError(ValueError):
    """One row is malformed; its message is the reason shown to the operator."""


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, ligne {self.line} : {self.reason}"


@dataclass
class TableReport:
    table: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows of the database (within the loaded scope) that the file no longer has: kept.
    absent: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    # Link rows of the M2M through-tables (QPV only).
    links_added: int = 0
    links_removed: int = 0

    @property
    def rejected(self) -> int:
        return len(self.rejections)


@dataclass
class GeographyReport:
    tables: list[TableReport]
    seconds: float = 0.0

    def table(self, name: str) -> TableReport:
        return next(table for table in self.tables if table.table == name)

    @property
    def rejections(self) -> list[Rejection]:
        return [rejection for table in self.tables for rejection in table.rejections]

    @property
    def changed(self) -> bool:
        return any(table.created or table.updated for table in self.tables)


@dataclass
class _Row:
    """A parsed row: model field values (by attname) and, for QPV, the ids of its links."""

    line: int
    values: dict[str, Any]
    links: dict[str, frozenset[int]] = field(default_factory=dict)


# --- Parsing helpers -------------------------------------------------------------------


def _text(row: Mapping[str, str | None], column: str, label: str, *, required: bool = True) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowError(f"{label} manquant")
    return value


def _code(value: str, pattern: re.Pattern[str], label: str) -> str:
    if not pattern.fullmatch(value):
        raise RowError(f"{label} invalide « {value} »")
    return value


def _optional_int(value: str, label: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowError(f"{label} n'est pas un nombre entier : « {value} »") from None
    if number < 0:
        raise RowError(f"{label} négatif : « {value} »")
    return number


def _optional_float(value: str, label: str, low: float, high: float) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"{label} n'est pas un nombre : « {value} »") from None
    if not low <= number <= high:  # also refuses nan
        raise RowError(f"{label} hors limites : « {value} »")
    return number


def _parent(code: str, ids: Mapping[str, int], unknown: str) -> int:
    try:
        return ids[code]
    except KeyError:
        raise RowError(f"{unknown} « {code} »") from None


def _split(value: str, separators: str) -> list[str]:
    for separator in separators[1:]:
        value = value.replace(separator, separators[0])
    return [part.strip() for part in value.split(separators[0]) if part.strip()]


def _read_csv(path: Path, columns: Collection[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows of a CSV file with their line numbers; a row with the wrong number of cells is a RowError."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise GeographyFileError(f"{path} : lecture impossible ({error.strerror or error}).") from error
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError as error:
            raise GeographyFileError(f"{path} : le fichier n'est pas en UTF-8.") from error
        missing = sorted(set(columns) - set(header))
        if missing:
            raise GeographyFileError(f"{path.name} : colonnes manquantes : {', '.join(missing)}.")
        try:
            for row in reader:
                yield reader.line_num, row
        except (UnicodeDecodeError, csv.Error) as error:
            raise GeographyFileError(f"{path.name}, ligne {reader.line_num} : fichier illisible ({error}).") from error


def _collect(
    path: Path,
    columns: Collection[str],
    report: TableReport,
    parse: Callable[[dict[str, str | None]], tuple[str, _Row]],
    keep: Callable[[dict[str, str | None]], bool] | None = None,
) -> dict[str, _Row]:
    """Parse every row of a CSV file into {key: row}; malformed rows go to the report."""
    rows: dict[str, _Row] = {}
    for line, raw in _read_csv(path, columns):
        if keep is not None and not keep(raw):
            continue
        try:
            if None in raw or any(value is None for value in raw.values()):
                raise RowError("nombre de cellules différent de celui de l'en-tête")
            key, row = parse(raw)
            if key in rows:
                raise RowError(f"code « {key} » en double (déjà ligne {rows[key].line})")
        except RowError as error:
            report.rejections.append(Rejection(report.file, line, str(error)))
            continue
        row.line = line
        rows[key] = row
    return rows


# --- Writing: diff and bulk ---------------------------------------------------------------


@dataclass
class _SyncResult:
    ids: dict[str, int]  # every row of the table (not only the file's): key -> id
    created: set[str]
    updated: set[str]
    written: set[str]  # keys of the file now in the database (created, updated or unchanged)


def _field_error(model: type[models.Model], error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ; ".join(
        f"{model._meta.get_field(name).verbose_name} : {' '.join(messages)}"  # type: ignore[union-attr]
        for name, messages in error.message_dict.items()
    )


def _sync(
    model: type[models.Model],
    key: str,
    rows: Mapping[str, _Row],
    report: TableReport,
    *,
    in_scope: Callable[[dict[str, Any]], bool] | None = None,
) -> _SyncResult:
    """Create and update `model` rows so that they match `rows`; return the key -> id mapping."""
    fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key and f.attname != key]
    existing = {values[key]: values for values in model._default_manager.values("pk", key, *fields)}
    # Foreign keys were resolved by the caller; clean_fields would query each parent again.
    foreign_keys = [f.name for f in model._meta.concrete_fields if f.is_relation]
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    changed_fields: set[str] = set()
    created: set[str] = set()
    updated: set[str] = set()
    written: set[str] = set()
    for code, row in rows.items():
        current = existing.get(code)
        if current is None:
            instance = model(**{key: code, **row.values})
        else:
            changes = {name for name, value in row.values.items() if current[name] != value}
            if not changes:
                written.add(code)
                continue
            instance = model(pk=current["pk"], **{key: code, **row.values})
        # An empty list (a commune without a postcode) is legitimate data, not a blank field.
        exclude = foreign_keys + [name for name, value in row.values.items() if value == []]
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            report.rejections.append(Rejection(report.file, row.line, _field_error(model, error)))
            continue
        written.add(code)
        if current is None:
            to_create.append(instance)
            created.add(code)
        else:
            to_update.append(instance)
            changed_fields |= changes
            updated.add(code)
    if to_create:
        _copy_insert(model, to_create)
    if to_update:
        _copy_update(model, to_update, changed_fields)
    ids = {code: values["pk"] for code, values in existing.items()}
    if to_create:
        ids = dict(model._default_manager.values_list(key, "pk"))
    report.created += len(created)
    report.updated += len(updated)
    report.unchanged += len(written) - len(created) - len(updated)
    report.absent += sum(
        1 for code, values in existing.items() if code not in rows and (in_scope is None or in_scope(values))
    )
    return _SyncResult(ids=ids, created=created, updated=updated, written=written)


# Why COPY: bulk_create and bulk_update are too slow for the 35,000 communes. The ArrayField
# keeps bulk_create off its UNNEST path (about 7 s to create them all, measured) and
# bulk_update's CASE expressions grow with every row (about 8 s to update them all); COPY
# takes a second either way. Values go through each field's own `pre_save` and
# `get_db_prep_save`, as in the ORM; like bulk_create, no signal is sent.


def _db_values(instance: models.Model, fields: Sequence[models.Field[Any, Any]], *, add: bool) -> tuple[Any, ...]:
    return tuple(f.get_db_prep_save(f.pre_save(instance, add), connection) for f in fields)


def _copy(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), _identifiers(columns))
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _identifiers(names: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join([sql.Identifier(name) for name in names])


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None
    return field.column


def _copy_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = (_db_values(instance, fields, add=True) for instance in instances)
    _copy(model._meta.db_table, [_column(f) for f in fields], rows)


def _copy_update(model: type[models.Model], instances: Sequence[models.Model], attnames: Collection[str]) -> None:
    """UPDATE ... FROM a temporary table filled by COPY with the ids and the changed columns."""
    meta = model._meta
    assert meta.pk is not None
    fields = [f for f in meta.concrete_fields if f.attname in attnames]
    pk, columns = _column(meta.pk), [_column(f) for f in fields]
    staging_name = f"_load_{meta.db_table}"
    table, staging = sql.Identifier(meta.db_table), sql.Identifier(staging_name)
    assignments = sql.SQL(", ").join([sql.SQL("{0} = s.{0}").format(sql.Identifier(c)) for c in columns])
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                staging, _identifiers([pk, *columns]), table
            )
        )
        _copy(staging_name, [pk, *columns], ((i.pk, *_db_values(i, fields, add=False)) for i in instances))
        cursor.execute(
            sql.SQL("UPDATE {} AS t SET {} FROM {} AS s WHERE t.{pk} = s.{pk}").format(
                table, assignments, staging, pk=sql.Identifier(pk)
            )
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(staging))


def _sync_links(
    through: type[models.Model],
    owner: str,
    target: str,
    wanted: Mapping[int, frozenset[int]],
) -> tuple[set[int], int, int]:
    """Make the through-table rows of the owners in `wanted` equal to it; return changed owners and counts."""
    owner_column, target_column = f"{owner}_id", f"{target}_id"
    existing: dict[int, dict[int, int]] = {}
    for pk, owner_id, target_id in through._default_manager.filter(**{f"{owner_column}__in": list(wanted)}).values_list(
        "pk", owner_column, target_column
    ):
        existing.setdefault(owner_id, {})[target_id] = pk
    to_add: list[models.Model] = []
    to_remove: list[int] = []
    changed: set[int] = set()
    for owner_id, targets in wanted.items():
        current = existing.get(owner_id, {})
        added = targets - current.keys()
        removed = [pk for target_id, pk in current.items() if target_id not in targets]
        if added or removed:
            changed.add(owner_id)
        to_add.extend(through(**{owner_column: owner_id, target_column: target_id}) for target_id in sorted(added))
        to_remove.extend(removed)
    through._default_manager.bulk_create(to_add, batch_size=BATCH_SIZE)
    if to_remove:
        through._default_manager.filter(pk__in=to_remove).delete()
    return changed, len(to_add), len(to_remove)


# --- The tables -------------------------------------------------------------------------------


def _load_regions(data_dir: Path, report: TableReport) -> dict[str, int]:
    def parse(raw: dict[str, str | None]) -> tuple[str, _Row]:
        code = _code(_text(raw, "code", "code"), REGION_CODE, "code de région")
        return code, _Row(0, {"name": _text(raw, "name", "nom")})

    rows = _collect(data_dir / "regions.csv", ["code", "name"], report, parse)
    return _sync(Region, "code", rows, report).ids


def _load_departments(data_dir: Path, report: TableReport, regions: Mapping[str, int]) -> dict[str, int]:
    def parse(raw: dict[str, str | None]) -> tuple[str, _Row]:
        code = _code(_text(raw, "code", "code"), DEPARTMENT_CODE, "code de département")
        values = {
            "name": _text(raw, "name", "nom"),
            "region_id": _parent(_text(raw, "region_code", "code de région"), regions, "région inconnue"),
        }
        return code, _Row(0, values)

    rows = _collect(data_dir / "departements.csv", ["code", "name", "region_code"], report, parse)
    return _sync(Department, "code", rows, report).ids


def _load_epcis(data_dir: Path, report: TableReport, departments: Mapping[str, int]) -> dict[str, int]:
    def parse(raw: dict[str, str | None]) -> tuple[str, _Row]:
        siren = _code(_text(raw, "siren", "SIREN"), SIREN, "SIREN")
        department = _text(raw, "departement", "département", required=False)
        values = {
            "name": _text(raw, "name", "nom"),
            "nature": _text(raw, "nature", "nature"),
            "department_id": _parent(department, departments, "département inconnu") if department else None,
            "population": _optional_int(raw["population_municipale"] or "", "population"),
        }
        return siren, _Row(0, values)

    columns = ["siren", "name", "nature", "departement", "population_municipale"]
    rows = _collect(data_dir / "epci.csv", columns, report, parse)
    return _sync(EPCI, "siren", rows, report).ids


def _load_communes(
    data_dir: Path,
    report: TableReport,
    departments: Mapping[str, int],
    epcis: Mapping[str, int],
    only_departments: Collection[str] | None,
) -> dict[str, int]:
    def parse(raw: dict[str, str | None]) -> tuple[str, _Row]:
        insee = _code(_text(raw, "insee", "code INSEE"), INSEE_CODE, "code INSEE")
        epci = _text(raw, "epci_siren", "SIREN de l'EPCI", required=False)
        postal_codes = [_code(code, POSTAL_CODE, "code postal") for code in _split(raw["postal_codes"] or "", "|")]
        latitude = _optional_float(raw["lat"] or "", "latitude", -90, 90)
        longitude = _optional_float(raw["lon"] or "", "longitude", -180, 180)
        if (latitude is None) != (longitude is None):
            raise RowError("latitude et longitude vont ensemble")
        values = {
            "name": _text(raw, "name", "nom"),
            "department_id": _parent(_text(raw, "departement", "département"), departments, "département inconnu"),
            "epci_id": _parent(epci, epcis, "EPCI inconnu") if epci else None,
            "population": _optional_int(raw["population"] or "", "population"),
            "latitude": latitude,
            "longitude": longitude,
            "postal_codes": sorted(set(postal_codes)),
        }
        return insee, _Row(0, values)

    keep = None
    in_scope = None
    if only_departments is not None:
        wanted = set(only_departments)
        scope_ids = {departments[code] for code in wanted if code in departments}

        def keep(raw: dict[str, str | None]) -> bool:
            return (raw.get("departement") or "").strip() in wanted

        def in_scope(values: dict[str, Any]) -> bool:
            return values["department_id"] in scope_ids

    columns = ["insee", "name", "departement", "epci_siren", "population", "lat", "lon", "postal_codes"]
    rows = _collect(data_dir / "communes.csv", columns, report, parse, keep)
    return _sync(Commune, "insee", rows, report, in_scope=in_scope).ids


# --- QPV ------------------------------------------------------------------------------------------


def _geojson_features(path: Path) -> Iterator[tuple[int, Any]]:
    """The features of a GeoJSON FeatureCollection, each with the line it starts on."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise GeographyFileError(f"{path} : lecture impossible ({error.strerror or error}).") from error
    except UnicodeDecodeError as error:
        raise GeographyFileError(f"{path} : le fichier n'est pas en UTF-8.") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise GeographyFileError(f"{path.name}, ligne {error.lineno} : JSON invalide ({error.msg}).") from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeographyFileError(f"{path.name} : une FeatureCollection GeoJSON est attendue.")
    crs = document.get("crs")
    crs_name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and crs_name not in WGS84_CRS_NAMES:
        raise GeographyFileError(
            f"{path.name} : système de coordonnées {crs_name!r} non pris en charge (WGS84 attendu)."
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise GeographyFileError(f"{path.name} : la liste « features » est absente.")
    yield from zip(_feature_lines(text, len(features)), features, strict=True)


def _feature_lines(text: str, count: int) -> list[int]:
    """The line each feature starts on, found by decoding the array element by element.

    When the layout defeats this (a "features" key before the real one...), features are
    numbered from 1 instead, which the report then calls lines all the same.
    """
    decoder = json.JSONDecoder()
    match = re.search(r'"features"\s*:\s*\[', text)
    lines: list[int] = []
    if match is not None:
        position, line, counted_to = match.end(), 1, 0
        try:
            while len(lines) < count:
                while text[position] in " \t\r\n,":
                    position += 1
                line += text.count("\n", counted_to, position)
                counted_to = position
                lines.append(line)
                _, position = decoder.raw_decode(text, position)
        except (ValueError, IndexError):
            lines = []
    return lines if len(lines) == count else list(range(1, count + 1))


def _geodesic_area_ha(geometry: Any) -> float:
    """Area of a small WGS84 polygon in hectares (local projection on the GRS80 ellipsoid)."""
    _, min_lat, _, max_lat = geometry.bounds
    phi = math.radians((min_lat + max_lat) / 2)
    a, e2 = 6378137.0, 0.00669438002290
    w = 1 - e2 * math.sin(phi) ** 2
    metres_per_degree_lat = math.radians(a * (1 - e2) / w**1.5)
    metres_per_degree_lon = math.radians(a / math.sqrt(w) * math.cos(phi))
    return float(geometry.area) * metres_per_degree_lat * metres_per_degree_lon / 10_000


def _qpv_areas(path: Path, report: TableReport) -> dict[str, float]:
    """Areas from the CSV beside the GeoJSON, when there is one (else they are computed)."""
    areas: dict[str, float] = {}
    if not path.exists():
        return areas
    for line, raw in _read_csv(path, ["code", "area_ha"]):
        try:
            area = _optional_float(raw.get("area_ha") or "", "surface", 0, math.inf)
        except RowError as error:
            report.rejections.append(Rejection(path.name, line, str(error)))
            continue
        if area is not None:
            areas[(raw.get("code") or "").strip()] = area
    return areas


def _parse_qpv(
    feature: Any,
    departments: Mapping[str, int],
    communes: Mapping[str, int],
    epcis: Mapping[str, int],
    areas: Mapping[str, float],
) -> tuple[str, _Row]:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
        raise RowError("objet GeoJSON sans propriétés")
    properties = {name: "" if value is None else str(value) for name, value in feature["properties"].items()}
    code = _code(_text(properties, "code_qp", "code_qp"), QPV_CODE, "code QPV")
    department = _parent(_text(properties, "insee_dep", "insee_dep"), departments, "département inconnu")
    commune_codes = _split(_text(properties, "insee_com", "insee_com"), ",|")
    commune_ids = frozenset(
        _parent(_code(c, INSEE_CODE, "code INSEE"), communes, "commune inconnue") for c in commune_codes
    )
    epci_codes = _split(properties.get("siren_epci", ""), ",|")
    epci_ids = frozenset(_parent(_code(s, SIREN, "SIREN"), epcis, "EPCI inconnu") for s in epci_codes)
    geometry, shape = _qpv_geometry(feature.get("geometry"))
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    area = areas.get(code)
    values = {
        "name": _text(properties, "lib_qp", "lib_qp"),
        "generation": QPV_GENERATION,
        "department_id": department,
        "geometry": geometry,
        "min_longitude": min_lon,
        "min_latitude": min_lat,
        "max_longitude": max_lon,
        "max_latitude": max_lat,
        "area_ha": area if area is not None else round(_geodesic_area_ha(shape), 2),
    }
    return code, _Row(0, values, {"communes": commune_ids, "epcis": epci_ids})


def _qpv_geometry(geometry: Any) -> tuple[dict[str, Any], Any]:
    """The geometry as a valid GeoJSON MultiPolygon in WGS84 (a Polygon is wrapped)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        raise RowError(f"contour absent ou d'un type non pris en charge ({kind})")
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        coordinates = [coordinates]
    multipolygon = {"type": "MultiPolygon", "coordinates": coordinates}
    try:
        shape = shapely.geometry.shape(multipolygon)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as error:
        raise RowError(f"contour illisible ({error})") from None
    if shape.is_empty:
        raise RowError("contour vide")
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise RowError("coordonnées hors WGS84 (longitude, latitude en degrés attendues)")
    if not shape.is_valid:
        raise RowError(f"contour invalide ({shapely.is_valid_reason(shape)})")
    return multipolygon, shape


def _load_qpvs(
    path: Path,
    report: TableReport,
    departments: Mapping[str, int],
    communes: Mapping[str, int],
    epcis: Mapping[str, int],
    only_departments: Collection[str] | None,
) -> None:
    areas = _qpv_areas(path.with_suffix(".csv"), report)
    rows: dict[str, _Row] = {}
    for line, feature in _geojson_features(path):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        department = str(properties.get("insee_dep") or "").strip() if isinstance(properties, dict) else None
        if only_departments is not None and department is not None and department not in only_departments:
            continue
        try:
            code, row = _parse_qpv(feature, departments, communes, epcis, areas)
            if code in rows:
                raise RowError(f"code « {code} » en double (déjà ligne {rows[code].line})")
        except RowError as error:
            report.rejections.append(Rejection(report.file, line, str(error)))
            continue
        row.line = line
        rows[code] = row

    in_scope = None
    if only_departments is not None:
        scope_ids = {departments[code] for code in only_departments if code in departments}

        def in_scope(values: dict[str, Any]) -> bool:
            return values["department_id"] in scope_ids

    result = _sync(QPV, "code", rows, report, in_scope=in_scope)
    # Links of the QPV that are in the database now; a newly created QPV counts as created only.
    changed: set[int] = set()
    for relation in ("communes", "epcis"):
        wanted = {result.ids[code]: rows[code].links[relation] for code in result.written}
        through = getattr(QPV, relation).through
        target = "commune" if relation == "communes" else "epci"
        owners, added, removed = _sync_links(through, "qpv", target, wanted)
        changed |= owners
        report.links_added += added
        report.links_removed += removed
    relinked = {code for code in result.written if result.ids[code] in changed} - result.created - result.updated
    report.updated += len(relinked)
    report.unchanged -= len(relinked)


# --- Entry point ----------------------------------------------------------------------------------


def geography_load(
    *,
    data_dir: Path = DATA_DIR,
    qpv_file: Path | None = None,
    departments: Sequence[str] | None = None,
) -> GeographyReport:
    """Load or update regions, departments, EPCI, communes and QPV; return what was done.

    `departments` restricts the communes and QPV to those departments (all regions,
    departments and EPCI are loaded). Raises GeographyFileError, leaving the database
    untouched, when a whole file cannot be used.
    """
    started = time.perf_counter()
    qpv_path = qpv_file if qpv_file is not None else data_dir / DEFAULT_QPV_FILE
    only = {code.strip() for code in departments if code.strip()} if departments is not None else None
    reports = [
        TableReport("régions", "regions.csv"),
        TableReport("départements", "departements.csv"),
        TableReport("EPCI", "epci.csv"),
        TableReport("communes", "communes.csv"),
        TableReport("QPV", qpv_path.name),
    ]
    regions_report, departments_report, epcis_report, communes_report, qpvs_report = reports
    with transaction.atomic():
        region_ids = _load_regions(data_dir, regions_report)
        department_ids = _load_departments(data_dir, departments_report, region_ids)
        epci_ids = _load_epcis(data_dir, epcis_report, department_ids)
        commune_ids = _load_communes(data_dir, communes_report, department_ids, epci_ids, only)
        _load_qpvs(qpv_path, qpvs_report, department_ids, commune_ids, epci_ids, only)
        if qpvs_report.created or qpvs_report.updated:
            transaction.on_commit(qpv_lookup.invalidate)
    for table in reports:
        # Parsing errors come before field checks: put them back in file order.
        table.rejections.sort(key=lambda rejection: (rejection.file != table.file, rejection.line))
    return GeographyReport(tables=reports, seconds=time.perf_counter() - started)
