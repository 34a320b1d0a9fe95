"""Maps drawn as server-side SVG: areas (GeoJSON polygons) and numbered point markers.

Pure: no database, no request, no third-party request (no tile server) — the same markup
serves the web page and a PDF report (WeasyPrint runs no JavaScript). Longitude/latitude are
projected with an equirectangular projection scaled by the cosine of the mean latitude (good
enough at the scale of an intercommunality), rings are simplified (Douglas-Peucker, in pixels)
and coordinates rounded to keep the markup small. Every label is escaped; colours are given as
presentation attributes so that the map needs no stylesheet.

The SVG is an image (`role="img"`) named by its <title> and <desc>; each area and marker also
has a <title> (a tooltip). Pages must give a text alternative beside it (the list of areas and
places): markers carry numbers for that purpose.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Point = tuple[float, float]
Ring = list[Point]

KM_PER_DEGREE = 111.32
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Bounds:
    """A longitude/latitude box (WGS84 degrees)."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def around(cls, *, latitude: float, longitude: float, radius_km: float) -> Bounds:
        """The square box of half-side `radius_km` centred on a point."""
        dlat = radius_km / KM_PER_DEGREE
        dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
        return cls(longitude - dlon, latitude - dlat, longitude + dlon, latitude + dlat)

    @classmethod
    def enclosing(cls, points: Iterable[Point]) -> Bounds | None:
        """The smallest box holding every (longitude, latitude) point; None without points."""
        lons: list[float] = []
        lats: list[float] = []
        for lon, lat in points:
            lons.append(lon)
            lats.append(lat)
        if not lons:
            return None
        return cls(min(lons), min(lats), max(lons), max(lats))

    def union(self, other: Bounds | None) -> Bounds:
        if other is None:
            return self
        return Bounds(
            min(self.west, other.west),
            min(self.south, other.south),
            max(self.east, other.east),
            max(self.north, other.north),
        )

    def intersects(self, other: Bounds) -> bool:
        return not (
            other.east < self.west or other.west > self.east or other.north < self.south or other.south > self.north
        )


@dataclass(frozen=True)
class MapArea:
    """A polygon to draw: `geometry` is a GeoJSON Polygon or MultiPolygon in WGS84."""

    key: str
    label: str
    geometry: Mapping[str, Any]
    highlighted: bool = False


@dataclass(frozen=True)
class MapMarker:
    label: str
    latitude: float
    longitude: float
    # Shown in the marker; the page's text alternative lists the places with the same numbers.
    number: int | None = None


@dataclass(frozen=True)
class MapLabel:
    """A place name written on the map (e.g. a commune at its centroid), for orientation."""

    text: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MapStyle:
    area_fill: str = "#1f4e8c"
    area_fill_opacity: float = 0.18
    highlight_fill_opacity: float = 0.4
    area_stroke: str = "#1f4e8c"
    marker_fill: str = "#1b1d21"
    marker_text: str = "#ffffff"
    background: str = "#f4f5f7"
    frame: str = "#d3d7de"
    text: str = "#1b1d21"
    label_text: str = "#4b515b"


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of `bounds` onto a `width` × `height` pixel box, north up."""

    bounds: Bounds
    width: float
    height: float
    scale: float  # pixels per degree of (cos-scaled) longitude and of latitude
    cos_lat: float
    offset_x: float = 0.0
    offset_y: float = 0.0

    @classmethod
    def fit(cls, bounds: Bounds, *, width: float, max_height: float, padding: float) -> Projection:
        """Fit `bounds` in `width` pixels (and at most `max_height`), keeping the aspect ratio."""
        cos_lat = math.cos(math.radians((bounds.south + bounds.north) / 2))
        span_x = max((bounds.east - bounds.west) * cos_lat, 1e-9)
        span_y = max(bounds.north - bounds.south, 1e-9)
        inner_w = width - 2 * padding
        inner_h = max_height - 2 * padding
        scale = min(inner_w / span_x, inner_h / span_y)
        height = span_y * scale + 2 * padding
        offset_x = padding + (inner_w - span_x * scale) / 2
        return cls(bounds, width, height, scale, cos_lat, offset_x, padding)

    def project(self, longitude: float, latitude: float) -> Point:
        x = self.offset_x + (longitude - self.bounds.west) * self.cos_lat * self.scale
        y = self.offset_y + (self.bounds.north - latitude) * self.scale
        return (x, y)

    @property
    def pixels_per_km(self) -> float:
        return self.scale / KM_PER_DEGREE


def _segment_distance(point: Point, start: Point, end: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def simplify_line(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker: drop the points closer than `tolerance` to the simplified line (iterative)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            distance = _segment_distance(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if index != -1 and farthest > tolerance:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: Sequence[Point], tolerance: float) -> Ring:
    """Simplify a closed ring (first point repeated last or not); the result is open, [] if degenerate.

    The ring is split at the point farthest from its start, so that a closed ring cannot
    collapse onto its first segment.
    """
    points = list(ring)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return []
    start = points[0]
    split = max(range(len(points)), key=lambda i: math.hypot(points[i][0] - start[0], points[i][1] - start[1]))
    first_half = simplify_line(points[: split + 1], tolerance)
    second_half = simplify_line([*points[split:], start], tolerance)
    simplified = first_half[:-1] + second_half[:-1]
    return simplified if len(simplified) >= 3 else []


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[Sequence[float]]]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coordinates]
    if kind == "MultiPolygon":
        return list(coordinates)
    return []


def geometry_bounds(geometry: Mapping[str, Any]) -> Bounds | None:
    """The box of a GeoJSON Polygon/MultiPolygon (exterior rings), None when empty."""
    return Bounds.enclosing(
        (float(position[0]), float(position[1]))
        for polygon in _polygons(geometry)
        for position in (polygon[0] if polygon else [])
    )


def _number(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def area_path(geometry: Mapping[str, Any], projection: Projection, tolerance: float) -> str:
    """SVG path data of a polygon/multipolygon, holes included (draw with fill-rule="evenodd").

    A ring that simplification reduces to nothing is dropped; if that leaves nothing at all
    (a tiny area on a large map), the exterior rings are kept unsimplified, so every area
    stays visible.
    """

    def build(tol: float | None) -> list[str]:
        parts = []
        for polygon in _polygons(geometry):
            for ring in polygon:
                projected = [projection.project(float(p[0]), float(p[1])) for p in ring]
                rounded = [(round(x, 1), round(y, 1)) for x, y in projected]
                simplified = simplify_ring(rounded, tol) if tol is not None else _dedupe(rounded)
                if simplified:
                    head, *rest = simplified
                    parts.append(
                        f"M{_number(head[0])} {_number(head[1])}"
                        + "".join(f"L{_number(x)} {_number(y)}" for x, y in rest)
                        + "Z"
                    )
        return parts

    parts = build(tolerance) or build(None)
    return "".join(parts)


def _dedupe(points: Sequence[Point]) -> Ring:
    out: Ring = []
    for point in points:
        if not out or out[-1] != point:
            out.append(point)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out if len(out) >= 3 else []


def _scale_bar(projection: Projection, style: MapStyle, padding: float) -> str:
    """A scale bar of a round length (100 m … 50 km) about a fifth of the map wide."""
    target_km = projection.width / 5 / projection.pixels_per_km
    length_km = next(
        (step for step in (50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1) if step <= target_km),
        0.1,
    )
    pixels = length_km * projection.pixels_per_km
    x = padding
    y = projection.height - padding / 2
    label = f"{_number(length_km)} km" if length_km >= 1 else f"{round(length_km * 1000)} m"
    return (
        f'<g aria-hidden="true">'
        f'<rect x="{_number(x - 4)}" y="{_number(y - 14)}" width="{_number(pixels + 8 + 7 * len(label))}" '
        f'height="18" fill="#ffffff" fill-opacity="0.8"/>'
        f'<path d="M{_number(x)} {_number(y - 4)}V{_number(y)}H{_number(x + pixels)}V{_number(y - 4)}" '
        f'fill="none" stroke="{escape(style.text)}" stroke-width="1.5"/>'
        f'<text x="{_number(x + pixels + 4)}" y="{_number(y)}" font-size="11" '
        f'font-family="system-ui, sans-serif" fill="{escape(style.text)}">{escape(label)}</text>'
        f"</g>"
    )


def _inside(projection: Projection, x: float, y: float, half_width: float) -> Point:
    """Where to write a name centred on (x, y) so that it stays whole inside the frame."""
    return (
        min(max(x, half_width + 4), projection.width - half_width - 4),
        min(max(y, 14), projection.height - 4),
    )


@dataclass
class SvgMap:
    """Everything needed to draw one map; `render()` gives the markup."""

    title: str
    description: str
    areas: Sequence[MapArea] = ()
    markers: Sequence[MapMarker] = ()
    labels: Sequence[MapLabel] = ()
    bounds: Bounds | None = None
    width: int = 800
    max_height: int = 800
    padding: int = 24
    tolerance: float = 0.7
    style: MapStyle = field(default_factory=MapStyle)
    id_prefix: str = "carte"

    def frame(self) -> Bounds | None:
        """The box to draw: the given bounds, or what encloses the areas and markers."""
        if self.bounds is not None:
            return self.bounds
        box: Bounds | None = None
        for area in self.areas:
            area_box = geometry_bounds(area.geometry)
            if area_box is not None:
                box = area_box.union(box)
        marker_box = Bounds.enclosing((m.longitude, m.latitude) for m in self.markers)
        if marker_box is not None:
            box = marker_box.union(box)
        if box is None:
            return None
        # A lone point (or a flat box) gets at least a kilometre around it.
        minimum = 1 / KM_PER_DEGREE
        if box.north - box.south < minimum or box.east - box.west < minimum:
            centre_lat, centre_lon = (box.south + box.north) / 2, (box.west + box.east) / 2
            box = box.union(Bounds.around(latitude=centre_lat, longitude=centre_lon, radius_km=1))
        return box

    def render(self) -> SafeString:
        box = self.frame()
        if box is None:
            box = Bounds(-5.2, 41.3, 9.6, 51.1)  # metropolitan France, for an empty map
        projection = Projection.fit(box, width=self.width, max_height=self.max_height, padding=self.padding)
        prefix = _ID_UNSAFE.sub("-", self.id_prefix) or "carte"
        width, height = _number(projection.width), _number(projection.height)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-labelledby="{prefix}-titre {prefix}-desc" class="svg-map">',
            f'<title id="{prefix}-titre">{escape(self.title)}</title>',
            f'<desc id="{prefix}-desc">{escape(self.description)}</desc>',
            f'<rect width="{width}" height="{height}" fill="{escape(self.style.background)}" '
            f'stroke="{escape(self.style.frame)}"/>',
            *self._areas(projection, prefix),
            *self._labels(projection),
            *self._markers(projection),
            _scale_bar(projection, self.style, self.padding),
            "</svg>",
        ]
        # Safe: every interpolated text is escaped, every number formatted by _number().
        return mark_safe("".join(out))

    def _areas(self, projection: Projection, prefix: str) -> list[str]:
        style = self.style
        out = []
        for area in self.areas:
            path = area_path(area.geometry, projection, self.tolerance)
            if not path:
                continue
            opacity = style.highlight_fill_opacity if area.highlighted else style.area_fill_opacity
            out.append(
                f'<path class="svg-map__area" id="{prefix}-{_ID_UNSAFE.sub("-", area.key)}" d="{path}" '
                f'fill="{escape(style.area_fill)}" fill-opacity="{opacity}" fill-rule="evenodd" '
                f'stroke="{escape(style.area_stroke)}" stroke-width="{2 if area.highlighted else 1}" '
                f'stroke-linejoin="round"><title>{escape(area.label)}</title></path>'
            )
        return out

    def _labels(self, projection: Projection) -> list[str]:
        marker_points = [projection.project(m.longitude, m.latitude) for m in self.markers]
        out = []
        for map_label in self.labels:
            half_width = 3.6 * len(map_label.text)  # about half the text's width at 12 px
            x, y = projection.project(map_label.longitude, map_label.latitude)
            x, y = _inside(projection, x, y + 4, half_width)
            # A name written over a marker would hide its number: move it just below the marker.
            for mx, my in marker_points:
                if abs(mx - x) < 10 + half_width and abs(my - y) < 16:
                    x, y = _inside(projection, mx, my + 23, half_width)
                    break
            out.append(
                f'<text class="svg-map__label" x="{_number(x)}" y="{_number(y)}" text-anchor="middle" '
                f'font-size="12" font-style="italic" font-family="system-ui, sans-serif" '
                f'fill="{escape(self.style.label_text)}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{escape(map_label.text)}</text>"
            )
        return out

    def _markers(self, projection: Projection) -> list[str]:
        style = self.style
        out = []
        for marker in self.markers:
            x, y = projection.project(marker.longitude, marker.latitude)
            if marker.number is None:
                title, radius, number = marker.label, 8, ""
            else:
                title, radius = f"{marker.number}. {marker.label}", 9
                number = (
                    f'<text x="{_number(x)}" y="{_number(y + 4)}" text-anchor="middle" font-size="11" '
                    f'font-weight="700" font-family="system-ui, sans-serif" fill="{escape(style.marker_text)}">'
                    f"{marker.number}</text>"
                )
            out.append(
                f'<g class="svg-map__marker"><title>{escape(title)}</title>'
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{radius}" '
                f'fill="{escape(style.marker_fill)}" stroke="#ffffff" stroke-width="2"/>{number}</g>'
            )
        return out
