"""Point-in-QPV on the real polygons of Nord, Pas-de-Calais and Meurthe-et-Moselle."""

from __future__ import annotations

import csv
import io
import json
import math
import time

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from pytest_django import DjangoAssertNumQueries

from territories import qpv_lookup
from territories.geography_loader import DATA_DIR
from territories.models import QPV
from territories.qpv_lookup import qpv_at, qpv_codes_at
from tests.factories import DepartmentFactory, QPVFactory

pytestmark = pytest.mark.usefixtures("geography")

# Known QPV of the towns the issue names (codes from the official 2024 list).
KNOWN_QPV = {
    "QN05969M": "Hautchamps Longchamp - Lionderie - 3 Baudets (Hem, Lys-lez-Lannoy, Roubaix)",
    "QN05985M": "La Bourgogne (Tourcoing)",
    "QN05971M": "Lille, Secteur Ouest",
    "QN05972M": "Lille, Secteur Sud",
    "QN05973M": "Lille, Secteur Nord Est",
    "QN05974M": "Lille, Secteur Nord",
    "QN05960M": "Dunkerque",
    "QN05961M": "Dunkerque",
    "QN05962M": "Dunkerque",
    "QN05415M": "Nancy / Vandœuvre-lès-Nancy",
    "QN05416M": "Nancy / Vandœuvre-lès-Nancy",
    "QN05417M": "Nancy / Vandœuvre-lès-Nancy",
}


def _csv_points() -> dict[str, tuple[float, float]]:
    """A point inside each QPV (its centroid, or a representative point), from the shipped CSV."""
    with (DATA_DIR / "qpv_2024_59_62_54.csv").open(encoding="utf-8", newline="") as handle:
        return {row["code"]: (float(row["centroid_lat"]), float(row["centroid_lon"])) for row in csv.DictReader(handle)}


def _file_geometries() -> dict[str, shapely.Geometry]:
    """The outlines straight from the GeoJSON file, to check the index against plain shapely."""
    with (DATA_DIR / "qpv_2024_59_62_54.geojson").open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    return {f["properties"]["code_qp"]: shapely.geometry.shape(f["geometry"]) for f in features}


POINTS = _csv_points()
GEOMETRIES = _file_geometries()


def _in_metres(geometry: shapely.Geometry, latitude: float) -> shapely.Geometry:
    """The geometry in a local metric frame around `latitude` (enough for distances of metres)."""
    return shapely.transform(geometry, lambda xy: xy * [111_320 * math.cos(math.radians(latitude)), 110_574])


def _point_outside(geometry: shapely.Geometry, metres: float = 20.0) -> tuple[float, float]:
    """A point `metres` outside the outline: its vertex farthest from the centroid, pushed outward.

    All the outline lies within that vertex's distance of the centroid, so the pushed point is
    at least `metres` from it (and exactly `metres` from the vertex). Distances in a local
    metric frame (longitudes scaled by cos(latitude)).
    """
    centroid = geometry.centroid
    scale_x = 111_320 * math.cos(math.radians(centroid.y))
    scale_y = 110_574
    coordinates = shapely.get_coordinates(geometry)
    dx = (coordinates[:, 0] - centroid.x) * scale_x
    dy = (coordinates[:, 1] - centroid.y) * scale_y
    far = int(np.argmax(np.hypot(dx, dy)))
    length = math.hypot(dx[far], dy[far])
    lon = coordinates[far, 0] + dx[far] / length * metres / scale_x
    lat = coordinates[far, 1] + dy[far] / length * metres / scale_y
    return lat, lon


@pytest.mark.parametrize("code", sorted(KNOWN_QPV))
def test_a_point_inside_a_known_qpv_is_found_in_it(code: str) -> None:
    latitude, longitude = POINTS[code]

    qpv = qpv_at(latitude, longitude)

    assert qpv is not None
    assert qpv.code == code
    assert qpv == QPV.objects.get(code=code)
    assert qpv_codes_at([(latitude, longitude)]) == [code]


@pytest.mark.parametrize("code", sorted(KNOWN_QPV))
def test_a_point_just_outside_a_known_qpv_is_in_no_qpv(code: str) -> None:
    latitude, longitude = _point_outside(GEOMETRIES[code])
    point = shapely.Point(longitude, latitude)
    # The premise, with plain shapely on the file's outlines: about 20 m out, and in no other QPV.
    assert 19 < _in_metres(GEOMETRIES[code], latitude).distance(_in_metres(point, latitude)) < 21
    assert not any(geometry.intersects(point) for geometry in GEOMETRIES.values())

    assert qpv_at(latitude, longitude) is None
    assert qpv_codes_at([(latitude, longitude)]) == [None]


def test_every_shipped_qpv_contains_its_own_point_and_no_other() -> None:
    codes = sorted(POINTS)

    found = qpv_codes_at([POINTS[code] for code in codes])

    assert found == codes
    assert len(codes) == 176


def test_vectorised_and_single_lookups_agree_with_plain_shapely() -> None:
    rng = np.random.default_rng(2024)
    # Close to the boundaries (vertices moved by up to about 30 m), dense around Lille-Roubaix-Tourcoing
    # where QPV lie side by side, and anywhere in the box of the three departments.
    vertices = np.concatenate([shapely.get_coordinates(g)[::25] for g in GEOMETRIES.values()])
    near = vertices + rng.uniform(-0.0004, 0.0004, vertices.shape)
    latitudes = np.concatenate([near[:, 1], rng.uniform(50.60, 50.75, 3000), rng.uniform(48.5, 51.1, 2000)])
    longitudes = np.concatenate([near[:, 0], rng.uniform(3.00, 3.25, 3000), rng.uniform(1.5, 7.0, 2000)])
    codes = list(GEOMETRIES)
    geometries = np.array([GEOMETRIES[code] for code in codes], dtype=object)
    expected = []
    for latitude, longitude in zip(latitudes, longitudes, strict=True):
        hits = np.flatnonzero(shapely.intersects_xy(geometries, longitude, latitude))
        expected.append(codes[hits[0]] if len(hits) else None)

    vectorised = qpv_codes_at(np.column_stack([latitudes, longitudes]))
    single = [getattr(qpv_at(float(a), float(b)), "code", None) for a, b in zip(latitudes, longitudes, strict=True)]

    assert vectorised == expected
    assert single == expected
    # The test does test something: many points inside, many outside.
    assert 500 < sum(code is not None for code in expected) < len(expected) - 500


def test_vectorised_lookup_checks_at_least_ten_thousand_points_per_second() -> None:
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(48.5, 51.1, 20_000), rng.uniform(1.5, 7.0, 20_000)])
    qpv_codes_at(points[:10])  # the index is built once per process, outside the measure

    started = time.perf_counter()
    qpv_codes_at(points)
    elapsed = time.perf_counter() - started

    # Measured at about a million points per second: a 100x margin for a busy machine.
    assert 20_000 / elapsed > 10_000


def test_odd_inputs() -> None:
    assert qpv_codes_at([]) == []
    assert qpv_codes_at([(math.nan, math.nan)]) == [None]
    assert qpv_at(0.0, 0.0) is None
    with pytest.raises(ValueError, match="latitude, longitude"):
        qpv_codes_at([(50.0, 3.0, 1.0)])


def test_the_qpv_found_is_a_fresh_model_instance_without_its_geometry() -> None:
    latitude, longitude = POINTS["QN05969M"]

    first, second = qpv_at(latitude, longitude), qpv_at(latitude, longitude)

    assert first is not None
    assert second is not None
    assert first is not second
    assert first.get_deferred_fields() == {"geometry"}
    assert (first.name, first.department_id) == (second.name, second.department_id)
    assert first.department.code == "59"


def test_the_index_follows_changes_made_in_the_transaction() -> None:
    # In the Channel, far from any QPV.
    here, there = (50.5, 1.0), (50.6, 1.2)
    assert qpv_at(*here) is None

    qpv = QPVFactory(code="QN99901M", department=DepartmentFactory(code="59"), geometry=_square(*here))
    assert getattr(qpv_at(*here), "code", None) == "QN99901M"

    qpv.geometry = _square(*there)
    qpv.save()
    assert qpv_at(*here) is None
    assert getattr(qpv_at(*there), "code", None) == "QN99901M"

    qpv.delete()
    assert qpv_at(*there) is None


def test_outside_a_transaction_the_index_is_trusted_for_a_while(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    latitude, longitude = POINTS["QN05985M"]
    qpv_lookup.invalidate()
    # As in autocommit mode (a request, a script): the first lookup checks the table, the next ones do not.
    monkeypatch.setattr(qpv_lookup, "_in_transaction", lambda using: False)
    with django_assert_num_queries(2):
        assert getattr(qpv_at(latitude, longitude), "code", None) == "QN05985M"  # fingerprint, then the rows
    with django_assert_num_queries(0):
        for _ in range(100):
            assert getattr(qpv_at(latitude, longitude), "code", None) == "QN05985M"
    monkeypatch.setattr(qpv_lookup, "RECHECK_SECONDS", 0.0)
    with django_assert_num_queries(1):
        qpv_at(latitude, longitude)  # fingerprint only: the table has not changed
    monkeypatch.undo()
    # In a transaction every lookup checks the fingerprint: the transaction may have written QPV rows.
    with django_assert_num_queries(1):
        qpv_at(latitude, longitude)


def test_command_prints_code_and_name_or_none() -> None:
    latitude, longitude = POINTS["QN05969M"]
    out = io.StringIO()

    call_command("qpv_at", str(latitude), str(longitude), stdout=out)
    assert out.getvalue() == "QN05969M Quartier Intercommunal Hautchamps Longchamp - Lionderie - 3 Baudets\n"

    out = io.StringIO()
    call_command("qpv_at", "50.5", "1.0", stdout=out)
    assert out.getvalue() == "none\n"

    with pytest.raises(CommandError, match="Latitude hors limites"):
        call_command("qpv_at", "95", "3.0", stdout=io.StringIO())


def _square(latitude: float, longitude: float, half: float = 0.002) -> dict[str, object]:
    ring = [
        [longitude - half, latitude - half],
        [longitude + half, latitude - half],
        [longitude + half, latitude + half],
        [longitude - half, latitude + half],
        [longitude - half, latitude - half],
    ]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def test_an_empty_table_contains_no_point() -> None:
    QPV.objects.all().delete()

    assert qpv_at(*POINTS["QN05969M"]) is None
    assert qpv_codes_at([POINTS["QN05969M"]]) == [None]
