"""`load_geography`: the shipped open data, idempotence, malformed rows, updates."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command

from territories.geography_loader import DATA_DIR, GeographyFileError, GeographyReport, geography_load
from territories.models import EPCI, QPV, Commune, Department, Region
from tests.territories.conftest import COMMUNES, CRS84, QPV_FEATURES, write_geojson

pytestmark = pytest.mark.django_db


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _counts(report: GeographyReport) -> dict[str, tuple[int, int, int, int]]:
    return {t.table: (t.created, t.updated, t.unchanged, t.rejected) for t in report.tables}


def _empty_geography() -> None:
    """Remove the geography the session may have committed (inside this test's transaction)."""
    QPV.objects.all().delete()
    Commune.objects.all().delete()
    EPCI.objects.all().delete()
    Department.objects.all().delete()
    Region.objects.all().delete()


def test_shipped_files_load_completely_on_an_empty_database_then_change_nothing() -> None:
    _empty_geography()
    communes = _csv_rows("communes.csv")
    qpv_rows = {row["code"]: row for row in _csv_rows("qpv_2024_59_62_54.csv")}

    first = geography_load()

    assert _counts(first) == {
        "régions": (26, 0, 0, 0),
        "départements": (109, 0, 0, 0),
        "EPCI": (1255, 0, 0, 0),
        "communes": (len(communes), 0, 0, 0),
        "QPV": (176, 0, 0, 0),
    }
    assert len(communes) == 34969
    assert Commune.objects.count() == len(communes)
    assert QPV.objects.count() == 176
    assert first.rejections == []

    second = geography_load()

    assert _counts(second) == {
        "régions": (0, 0, 26, 0),
        "départements": (0, 0, 109, 0),
        "EPCI": (0, 0, 1255, 0),
        "communes": (0, 0, len(communes), 0),
        "QPV": (0, 0, 176, 0),
    }
    assert not second.changed
    assert (second.table("QPV").links_added, second.table("QPV").links_removed) == (0, 0)

    # Communes: postcodes from the `|`-separated column, coordinates optional, EPCI optional.
    lille = Commune.objects.select_related("department", "epci").get(insee="59350")
    assert (lille.name, lille.department.code, lille.epci.siren) == ("Lille", "59", "200093201")  # type: ignore[union-attr]
    assert lille.postal_codes == ["59000", "59160", "59260", "59777", "59800"]
    without_point = next(row for row in communes if not row["lat"])
    assert Commune.objects.get(insee=without_point["insee"]).latitude is None
    without_epci = next(row for row in communes if not row["epci_siren"])
    assert Commune.objects.get(insee=without_epci["insee"]).epci is None

    # QPV: department, communes and EPCI (8 span two EPCI), area from the CSV, box of the outline.
    for qpv in QPV.objects.select_related("department").prefetch_related("communes", "epcis"):
        row = qpv_rows[qpv.code]
        assert qpv.name == row["name"]
        assert qpv.department.code == row["departement"]
        assert sorted(c.insee for c in qpv.communes.all()) == sorted(row["communes_insee"].split("|"))
        assert sorted(e.siren for e in qpv.epcis.all()) == sorted(row["epci_siren"].split("|"))
        assert qpv.area_ha == float(row["area_ha"])
        bounds = shapely.geometry.shape(qpv.geometry).bounds
        assert (qpv.min_longitude, qpv.min_latitude, qpv.max_longitude, qpv.max_latitude) == bounds
    assert QPV.objects.get(code="QN05920M").epcis.count() == 2


def test_malformed_rows_are_reported_with_file_line_and_reason_and_the_rest_loads(data_dir: Path) -> None:
    report = geography_load(data_dir=data_dir)

    reported = [(r.file, r.line, r.reason) for r in report.rejections]
    assert reported == [
        ("regions.csv", 3, "code de région invalide « 9X »"),
        ("departements.csv", 3, "région inconnue « 77 »"),
        ("epci.csv", 3, "SIREN invalide « 99999900X »"),
        ("epci.csv", 4, "nature : La valeur «\xa0'XX'\xa0» n’est pas un choix valide."),
        ("epci.csv", 5, "population n'est pas un nombre entier : « douze »"),
        ("communes.csv", 4, "code INSEE invalide « 9900 »"),
        ("communes.csv", 5, "département inconnu « 98 »"),
        ("communes.csv", 6, "latitude n'est pas un nombre : « abc »"),
        ("communes.csv", 7, "EPCI inconnu « 999999999 »"),
        ("communes.csv", 8, "nombre de cellules différent de celui de l'en-tête"),
        ("communes.csv", 9, "code « 99001 » en double (déjà ligne 2)"),
        ("communes.csv", 10, "latitude et longitude vont ensemble"),
        ("communes.csv", 11, "code postal invalide « 991 »"),
        ("qpv_2024_59_62_54.geojson", 5, "commune inconnue « 99999 »"),
        ("qpv_2024_59_62_54.geojson", 6, "contour invalide (Self-intersection[3.005 50.005])"),
        ("qpv_2024_59_62_54.geojson", 7, "code QPV invalide « QX9900 »"),
        (
            "qpv_2024_59_62_54.geojson",
            8,
            "coordonnées hors WGS84 (longitude, latitude en degrés attendues)",
        ),
        ("qpv_2024_59_62_54.geojson", 9, "contour absent ou d'un type non pris en charge (None)"),
    ]
    assert Region.objects.filter(code="99").exists()
    assert not Department.objects.filter(code="98").exists()
    assert set(EPCI.objects.filter(siren__startswith="9999990").values_list("siren", flat=True)) == {
        "999999001",
        "999999004",
    }
    assert EPCI.objects.get(siren="999999004").department is None
    loaded = {c.insee: c for c in Commune.objects.filter(insee__startswith="99")}
    assert set(loaded) == {"99001", "99002", "99009"}
    assert loaded["99001"].postal_codes == ["99100", "99110"]
    assert (loaded["99001"].latitude, loaded["99001"].longitude, loaded["99001"].population) == (50.1, 3.1, 500)
    bare = loaded["99002"]
    assert (bare.epci, bare.population, bare.latitude, bare.postal_codes) == (None, None, None, [])

    tests_qpv = QPV.objects.get(code="QN99001M")
    assert sorted(tests_qpv.communes.values_list("insee", flat=True)) == ["99001", "99002"]
    assert list(tests_qpv.epcis.values_list("siren", flat=True)) == ["999999001"]
    assert tests_qpv.area_ha == 12.5  # from the CSV beside the GeoJSON
    polygon = QPV.objects.get(code="QN99002M")
    assert polygon.geometry["type"] == "MultiPolygon"
    assert not polygon.epcis.exists()
    # Computed without the CSV: a 0.004° square at 50.2° N is about 445 m x 286 m.
    assert polygon.area_ha == pytest.approx(12.7, abs=0.2)
    assert set(QPV.objects.filter(code__startswith="QN99").values_list("code", flat=True)) == {"QN99001M", "QN99002M"}


def test_a_changed_name_updates_exactly_that_row(data_dir: Path) -> None:
    geography_load(data_dir=data_dir)
    before = {c.insee: (c.name, c.population, c.postal_codes) for c in Commune.objects.filter(insee__startswith="99")}
    communes_csv = data_dir / "communes.csv"
    communes_csv.write_text(COMMUNES.replace("99009,Autre-Ville,", "99009,Autre-Ville-sur-Test,"), encoding="utf-8")
    features = json.loads(json.dumps(QPV_FEATURES))
    features[0]["properties"]["lib_qp"] = "Quartier des Tests Renommé"
    write_geojson(data_dir / "qpv_2024_59_62_54.geojson", features)

    report = geography_load(data_dir=data_dir)

    assert report.table("communes").created == 0
    assert report.table("communes").updated == 1
    assert report.table("communes").unchanged == 2
    assert (report.table("QPV").created, report.table("QPV").updated, report.table("QPV").unchanged) == (0, 1, 1)
    after = {c.insee: (c.name, c.population, c.postal_codes) for c in Commune.objects.filter(insee__startswith="99")}
    assert after == {**before, "99009": ("Autre-Ville-sur-Test", 1200, ["99200"])}
    assert QPV.objects.get(code="QN99001M").name == "Quartier des Tests Renommé"
    assert QPV.objects.get(code="QN99002M").name == "Quartier Polygone"
    for table in ("régions", "départements", "EPCI"):
        assert (report.table(table).created, report.table(table).updated) == (0, 0)


def test_changed_qpv_communes_update_the_links_only(data_dir: Path) -> None:
    geography_load(data_dir=data_dir)
    features = json.loads(json.dumps(QPV_FEATURES))
    features[0]["properties"]["insee_com"] = "99002,99009"
    write_geojson(data_dir / "qpv_2024_59_62_54.geojson", features)

    report = geography_load(data_dir=data_dir)

    qpv_report = report.table("QPV")
    assert (qpv_report.created, qpv_report.updated, qpv_report.unchanged) == (0, 1, 1)
    assert (qpv_report.links_added, qpv_report.links_removed) == (1, 1)
    assert sorted(QPV.objects.get(code="QN99001M").communes.values_list("insee", flat=True)) == ["99002", "99009"]
    again = geography_load(data_dir=data_dir).table("QPV")
    assert (again.updated, again.links_added, again.links_removed) == (0, 0, 0)


def test_departments_option_restricts_communes_and_qpv(data_dir: Path) -> None:
    report = geography_load(data_dir=data_dir, departments=["42"])

    assert report.table("communes").created == 0
    assert report.table("QPV").created == 0
    assert report.table("EPCI").created == 2  # regions, departments and EPCI always load
    assert not Commune.objects.filter(insee__startswith="99").exists()


def test_command_departements_option(data_dir: Path) -> None:
    stdout = io.StringIO()

    call_command(
        "load_geography", "--data-dir", str(data_dir), "--departements", "42, 99", stdout=stdout, stderr=io.StringIO()
    )

    # The commune of department 98 is left out by the option, not rejected.
    assert stdout.getvalue().splitlines()[4].split() == ["communes", "3", "0", "0", "7", "0"]
    assert set(Commune.objects.filter(insee__startswith="99").values_list("insee", flat=True)) == {
        "99001",
        "99002",
        "99009",
    }


def test_command_prints_the_counts_and_the_rejections(data_dir: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("load_geography", "--data-dir", str(data_dir), stdout=stdout, stderr=stderr)

    out = stdout.getvalue()
    assert "créés  mis à jour  inchangés  rejetés  absents du fichier" in out
    # The last column depends on what else the database holds.
    assert out.splitlines()[4].split()[:5] == ["communes", "3", "0", "0", "8"]
    assert "18 ligne(s) rejetée(s)" in out
    assert "Rejeté — communes.csv, ligne 6 : latitude n'est pas un nombre : « abc »" in stderr.getvalue()


def test_command_takes_another_qpv_file(data_dir: Path, tmp_path: Path) -> None:
    national = write_geojson(tmp_path / "national.geojson", QPV_FEATURES[:1], crs=None)
    stdout = io.StringIO()

    call_command(
        "load_geography", "--data-dir", str(data_dir), "--qpv", str(national), stdout=stdout, stderr=io.StringIO()
    )

    assert QPV.objects.filter(code="QN99001M").exists()
    assert not QPV.objects.filter(code="QN99002M").exists()
    # No CSV beside this file: the area is computed (0.004° square at 50.1° N).
    assert QPV.objects.get(code="QN99001M").area_ha == pytest.approx(12.7, abs=0.2)


def test_a_file_that_cannot_be_used_loads_nothing(data_dir: Path) -> None:
    (data_dir / "communes.csv").write_text("insee,name\n99001,Testville\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"Rien n'a été chargé : communes\.csv : colonnes manquantes"):
        call_command("load_geography", "--data-dir", str(data_dir), stdout=io.StringIO())

    assert not Region.objects.filter(code="99").exists()  # one transaction: the regions went too


@pytest.mark.parametrize(
    ("crs", "message"),
    [
        ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}, "non pris en charge"),
        (CRS84, ""),
    ],
)
def test_qpv_file_must_be_in_wgs84(data_dir: Path, crs: dict[str, object], message: str) -> None:
    path = write_geojson(data_dir / "other.geojson", QPV_FEATURES[:1], crs=crs)
    if message:
        with pytest.raises(GeographyFileError, match=message):
            geography_load(data_dir=data_dir, qpv_file=path)
    else:
        assert geography_load(data_dir=data_dir, qpv_file=path).table("QPV").created == 1
