"""Small geography files with fictitious codes (99…, QN99…), good and malformed rows side by side.

The codes exist in no official file, so these tests do not depend on whether the session's
geography (tests/conftest.py, `geography_database`) is already in the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

REGIONS = """code,name,chef_lieu_insee,zone
99,Région de test,99001,metro
9X,Région au code faux,,metro
"""

DEPARTMENTS = """code,name,region_code,chef_lieu_insee,zone
99,Département de test,99,99001,metro
98,Département orphelin,77,,metro
"""

EPCI_HEADER = (
    "siren,name,nature,mode_financement,departement,departements,region,nb_communes,"
    "population_municipale,population_totale\n"
)
EPCIS = EPCI_HEADER + (
    "999999001,CA de Test,CA,FPU,99,99,99,3,1000,1010\n"
    "99999900X,CA au SIREN faux,CA,FPU,99,99,99,1,10,10\n"
    "999999002,Syndicat imaginaire,XX,FPU,99,99,99,1,10,10\n"
    "999999003,CC au nombre faux,CC,FPU,99,99,99,1,douze,12\n"
    "999999004,CC sans département,CC,FPU,,,,1,,\n"
)

COMMUNE_HEADER = "insee,name,departement,region,epci_siren,population,lat,lon,postal_codes,siren\n"
COMMUNES = COMMUNE_HEADER + (
    "99001,Testville,99,99,999999001,500,50.1,3.1,99110|99100,219900018\n"  # line 2
    "99002,Sans-Rien,99,99,,,,,,\n"  # 3: no EPCI, population, coordinates nor postcode: fine
    "9900,Code-Court,99,99,999999001,1,50.1,3.1,99100,\n"  # 4
    "99003,Perdue,98,99,999999001,1,50.1,3.1,99100,\n"  # 5: its department was rejected
    "99004,Latitude-Fausse,99,99,999999001,10,abc,3.0,99100,\n"  # 6
    "99005,Epci-Inconnu,99,99,999999999,1,50.1,3.1,99100,\n"  # 7
    "99006,Trop-De-Cellules,99,99,999999001,1,50.1,3.1,99100,,en trop\n"  # 8
    "99001,Doublon,99,99,999999001,1,50.1,3.1,99100,\n"  # 9
    "99007,Moitié-De-Point,99,99,999999001,1,50.2,,99100,\n"  # 10
    "99008,Code-Postal-Faux,99,99,999999001,1,50.2,3.2,991,\n"  # 11
    "99009,Autre-Ville,99,99,999999001,1200,50.3,3.3,99200,\n"  # 12
)


def square(lon: float, lat: float, half: float = 0.002) -> list[list[list[float]]]:
    """A closed square ring around (lon, lat), as Polygon coordinates."""
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return [[*ring, ring[0]]]


def feature(code: str, name: str, communes: str, epcis: str, geometry: dict[str, Any] | None) -> dict[str, Any]:
    properties = {
        "fid": 1,
        "code_qp": code,
        "lib_qp": name,
        "insee_reg": "99",
        "lib_reg": "Région de test",
        "insee_dep": "99",
        "lib_dep": "Département de test",
        "insee_com": communes,
        "lib_com": "",
        "siren_epci": epcis,
    }
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def multipolygon(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "MultiPolygon", "coordinates": [square(lon, lat)]}


QPV_FEATURES = [
    # line 3: two communes, one EPCI, area from the companion CSV
    feature("QN99001M", "Quartier des Tests", "99001, 99002", "999999001", multipolygon(3.1, 50.1)),
    # 4: a plain Polygon (wrapped into a MultiPolygon), no EPCI, area computed
    feature("QN99002M", "Quartier Polygone", "99001", "", {"type": "Polygon", "coordinates": square(3.2, 50.2)}),
    # 5
    feature("QN99003M", "Quartier Perdu", "99999", "999999001", multipolygon(3.3, 50.3)),
    # 6: a bow tie
    feature(
        "QN99004M",
        "Quartier Noué",
        "99001",
        "999999001",
        {
            "type": "MultiPolygon",
            "coordinates": [[[[3.0, 50.0], [3.01, 50.01], [3.01, 50.0], [3.0, 50.01], [3.0, 50.0]]]],
        },
    ),
    # 7
    feature("QX9900", "Code faux", "99001", "999999001", multipolygon(3.4, 50.4)),
    # 8: Lambert-93 metres instead of degrees
    feature(
        "QN99005M",
        "Quartier Projeté",
        "99001",
        "999999001",
        {
            "type": "MultiPolygon",
            "coordinates": [[[[700000, 7000000], [700100, 7000000], [700100, 7000100], [700000, 7000000]]]],
        },
    ),
    # 9: no geometry
    feature("QN99006M", "Quartier Sans Contour", "99001", "999999001", None),
]

QPV_AREAS = "code,name,area_ha\nQN99001M,Quartier des Tests,12.5\n"


def write_geojson(path: Path, features: list[dict[str, Any]], crs: dict[str, Any] | None = CRS84) -> Path:
    """One feature per line, as in the shipped file: feature n is on line n + 2."""
    head: dict[str, Any] = {"type": "FeatureCollection", "name": path.stem}
    if crs is not None:
        head["crs"] = crs
    lines = [json.dumps(head)[:-1] + ",", '"features": [']
    lines += [
        json.dumps(f, ensure_ascii=False) + ("," if i < len(features) - 1 else "") for i, f in enumerate(features)
    ]
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with every file, good and malformed rows mixed (see the line comments)."""
    (tmp_path / "regions.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "departements.csv").write_text(DEPARTMENTS, encoding="utf-8")
    (tmp_path / "epci.csv").write_text(EPCIS, encoding="utf-8")
    (tmp_path / "communes.csv").write_text(COMMUNES, encoding="utf-8")
    write_geojson(tmp_path / "qpv_2024_59_62_54.geojson", QPV_FEATURES)
    (tmp_path / "qpv_2024_59_62_54.csv").write_text(QPV_AREAS, encoding="utf-8")
    return tmp_path
