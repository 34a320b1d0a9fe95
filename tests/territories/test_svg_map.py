"""Server-side SVG maps: projection, simplification, one path per area, escaping (no database)."""

import json
import math
import re
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from territories.svg_map import (
    Bounds,
    MapArea,
    MapLabel,
    MapMarker,
    Projection,
    SvgMap,
    area_path,
    simplify_line,
    simplify_ring,
)
from tests.factories import QPV_GEOJSON

SVG = "{http://www.w3.org/2000/svg}"
MEL_LILLE = ("QN05971M", "QN05972M", "QN05973M", "QN05974M", "QN05978M")


@cache
def _features() -> dict[str, dict]:
    with QPV_GEOJSON.open(encoding="utf-8") as handle:
        return {f["properties"]["code_qp"]: f for f in json.load(handle)["features"]}


def _area(code: str, **kwargs) -> MapArea:
    feature = _features()[code]
    return MapArea(key=code, label=feature["properties"]["lib_qp"], geometry=feature["geometry"], **kwargs)


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # also proves the markup is well-formed XML


def test_projection_keeps_north_up_and_scales_longitude_by_cos_latitude():
    bounds = Bounds(west=3.0, south=50.6, east=3.2, north=50.7)
    projection = Projection.fit(bounds, width=800, max_height=800, padding=0)
    x0, y0 = projection.project(3.0, 50.7)
    x1, y1 = projection.project(3.2, 50.6)
    assert (x0, y0) == pytest.approx((0, 0))
    # 0.2° of longitude at 50.65°N is 0.2 × cos(50.65°) ≈ 0.127 "latitude degrees" wide, 0.1 high.
    assert x1 / y1 == pytest.approx(0.2 * math.cos(math.radians(50.65)) / 0.1)
    assert x1 == pytest.approx(800)
    assert projection.height == pytest.approx(y1)


def test_projection_respects_the_maximum_height_and_centres_horizontally():
    tall = Bounds(west=3.0, south=50.0, east=3.01, north=51.0)
    projection = Projection.fit(tall, width=800, max_height=400, padding=10)
    assert projection.height == pytest.approx(400)
    left, _ = projection.project(3.0, 50.5)
    right, _ = projection.project(3.01, 50.5)
    assert left > 10
    assert (left + right) / 2 == pytest.approx(400)


def test_douglas_peucker_drops_points_within_tolerance_only():
    line = [(0.0, 0.0), (1.0, 0.1), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)]
    assert simplify_line(line, 0.5) == [(0.0, 0.0), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)]
    assert simplify_line(line, 10) == [(0.0, 0.0), (4.0, 0.0)]
    square = [(0.0, 0.0), (5.0, 0.01), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]
    assert simplify_ring(square, 0.5) == [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    # A ring smaller than the tolerance vanishes rather than drawing a line.
    assert simplify_ring([(0.0, 0.0), (0.1, 0.0), (0.1, 0.1), (0.0, 0.0)], 1) == []


def test_real_outlines_are_simplified_but_every_area_keeps_a_path():
    areas = [_area(code) for code in MEL_LILLE]
    raw_vertices = sum(
        len(ring) for a in areas for polygon in a.geometry["coordinates"] for ring in polygon
    )  # MultiPolygons
    markup = SvgMap(title="Lille", description="QPV de Lille", areas=areas).render()
    root = _parse(markup)
    paths = root.findall(f"{SVG}path[@class='svg-map__area']")
    assert [p.get("id") for p in paths] == [f"carte-{code}" for code in MEL_LILLE]
    drawn_vertices = sum(len(re.findall(r"[ML]", p.get("d"))) for p in paths)
    assert 0 < drawn_vertices < raw_vertices / 2
    assert len(markup) < 40_000


def test_a_tiny_area_on_a_large_map_is_still_drawn():
    # Secteur Nord (5.8 ha) on a map framed on the whole of Nord - Pas-de-Calais.
    bounds = Bounds(west=1.5, south=50.0, east=4.3, north=51.1)
    projection = Projection.fit(bounds, width=300, max_height=300, padding=0)
    assert area_path(_area("QN05974M").geometry, projection, tolerance=5)


def test_map_is_an_accessible_image_with_a_title_per_area_and_marker():
    markup = SvgMap(
        title="Carte de la MEL",
        description="Quartiers et lieux",
        areas=[_area("QN05969M", highlighted=True), _area("QN05985M")],
        markers=[
            MapMarker(label="Espace ressource Hem", latitude=50.6599, longitude=3.1914, number=1),
            MapMarker(label="Espace ressource Tourcoing", latitude=50.7388, longitude=3.1807, number=2),
        ],
        labels=[MapLabel(text="Roubaix", latitude=50.688, longitude=3.18)],
    ).render()
    root = _parse(markup)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "carte-titre carte-desc"
    assert root.find(f"{SVG}title").text == "Carte de la MEL"
    assert root.find(f"{SVG}desc").text == "Quartiers et lieux"
    titles = [p.find(f"{SVG}title").text for p in root.findall(f"{SVG}path[@class='svg-map__area']")]
    assert titles == ["Quartier Intercommunal Hautchamps Longchamp - Lionderie - 3 Baudets", "La Bourgogne"]
    markers = root.findall(f"{SVG}g[@class='svg-map__marker']")
    assert [m.find(f"{SVG}title").text for m in markers] == [
        "1. Espace ressource Hem",
        "2. Espace ressource Tourcoing",
    ]
    assert [m.find(f"{SVG}text").text for m in markers] == ["1", "2"]
    # The highlighted area is more opaque than the others.
    opacities = [float(p.get("fill-opacity")) for p in root.findall(f"{SVG}path[@class='svg-map__area']")]
    assert opacities[0] > opacities[1]


def test_markers_fall_inside_the_drawing():
    marker = MapMarker(label="Lieu", latitude=50.6599, longitude=3.1914)
    root = _parse(SvgMap(title="t", description="d", areas=[_area("QN05969M")], markers=[marker]).render())
    width, height = float(root.get("width")), float(root.get("height"))
    circle = root.find(f"{SVG}g/{SVG}circle")
    assert 0 < float(circle.get("cx")) < width
    assert 0 < float(circle.get("cy")) < height


def test_names_are_escaped():
    hostile = '<script>alert("x")</script> & Fils'
    markup = SvgMap(
        title=hostile,
        description=hostile,
        areas=[MapArea(key='QN"><x', label=hostile, geometry=_features()["QN05985M"]["geometry"])],
        markers=[MapMarker(label=hostile, latitude=50.7388, longitude=3.1807, number=1)],
        labels=[MapLabel(text=hostile, latitude=50.74, longitude=3.18)],
        id_prefix='a" onload="x',
    ).render()
    assert "<script>" not in markup
    assert 'onload="' not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Fils" in markup
    root = _parse(markup)
    assert root.find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}path[@class='svg-map__area']").get("id") == "a--onload--x-QN---x"


def test_an_empty_map_still_renders_and_a_lone_marker_gets_a_frame():
    assert _parse(SvgMap(title="Vide", description="Rien").render()).get("role") == "img"
    lone = SvgMap(title="t", description="d", markers=[MapMarker(label="Lieu", latitude=50.63, longitude=3.05)])
    box = lone.frame()
    assert box.north - box.south > 0.015
    assert box.east - box.west > 0.015


def test_bounds_around_a_point_is_square_on_the_ground():
    box = Bounds.around(latitude=50.63, longitude=3.05, radius_km=1)
    height_km = (box.north - box.south) * 111.32
    width_km = (box.east - box.west) * 111.32 * math.cos(math.radians(50.63))
    assert height_km == pytest.approx(2)
    assert width_km == pytest.approx(2, rel=1e-3)
    assert box.intersects(Bounds(3.0, 50.0, 3.05, 50.63))
    assert not box.intersects(Bounds(3.1, 50.0, 3.2, 50.5))


def test_place_names_stay_inside_the_frame_and_off_the_markers():
    markup = SvgMap(
        title="t",
        description="d",
        areas=[_area("QN05963M"), _area("QN05962M")],
        markers=[MapMarker(label="Permanence", latitude=51.029, longitude=2.3777, number=1)],
        labels=[
            MapLabel(text="Grande-Synthe", latitude=51.01683, longitude=2.27),  # west of every area
            MapLabel(text="Dunkerque", latitude=51.029, longitude=2.3777),  # on the marker
        ],
    ).render()
    root = _parse(markup)
    width = float(root.get("width"))
    marker = root.find(f"{SVG}g/{SVG}circle")
    synthe, dunkerque = root.findall(f"{SVG}text[@class='svg-map__label']")
    assert float(synthe.get("x")) - 3.5 * len("Grande-Synthe") >= 0
    assert float(synthe.get("x")) + 3.5 * len("Grande-Synthe") <= width
    assert float(dunkerque.get("y")) > float(marker.get("cy")) + 15
