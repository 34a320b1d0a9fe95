"""`python -m bench.qpv_throughput`: how many points per second the point-in-QPV lookup checks.

On the development database (the embedded PostgreSQL unless DATABASE_URL is set), loading
the geography first if the QPV are missing. Draws random points (seeded) in the bounding
box of the QPV of Nord, Pas-de-Calais and Meurthe-et-Moselle, plus a share of points known
to be inside a QPV, then measures in the same run:

- `qpv_codes_at(points)`, the vectorised lookup (STRtree + prepared polygons);
- `qpv_at(lat, lon)` called once per point (outside a transaction, as in a request);
- two baselines: each point tested against every QPV's bounding box in plain Python (the
  cheapest prefilter, no polygon test at all), and a naive shapely loop testing
  `polygon.intersects(Point(lon, lat))` (boundary included, as the lookup) on every QPV in
  turn, without index nor preparation.

Every figure is printed beside the baselines as a ratio. Exit code 1 if two methods
disagree on a point, 2 if a lookup is under the target of 10,000 points per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

TARGET = 10_000  # points per second, from the issue
DEPARTMENTS = ("59", "62", "54")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Measure:
    name: str
    points: int
    seconds: float  # median of the rounds

    @property
    def rate(self) -> float:
        return self.points / self.seconds


def measure(name: str, points: int, run: Callable[[], object], rounds: int) -> Measure:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    result = Measure(name, points, statistics.median(timings))
    log(f"{name}: {points:,} points, {result.seconds:.3f} s (median of {rounds}), {result.rate:,.0f} points/s")
    return result


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabrique.settings.dev")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from territories.geography_loader import geography_load
    from territories.models import QPV

    if QPV.objects.filter(department__code__in=DEPARTMENTS).count() < 176:
        started = time.perf_counter()
        report = geography_load()
        log(f"geography loaded into the development database in {time.perf_counter() - started:.1f} s")
        for rejection in report.rejections:
            log(f"  rejected: {rejection}")


def draw_points(count: int, inside_share: float, seed: int) -> tuple[np.ndarray, list[str], list[object]]:
    """(latitude, longitude) points, the QPV codes and their shapely outlines (59, 62, 54)."""
    import shapely
    from django.db.models import Max, Min

    from territories.models import QPV

    qpvs = list(QPV.objects.filter(department__code__in=DEPARTMENTS).order_by("code").values_list("code", "geometry"))
    codes = [code for code, _ in qpvs]
    outlines = [shapely.geometry.shape(geometry) for _, geometry in qpvs]
    box = QPV.objects.filter(department__code__in=DEPARTMENTS).aggregate(
        Min("min_latitude"), Max("max_latitude"), Min("min_longitude"), Max("max_longitude")
    )
    rng = np.random.default_rng(seed)
    inside = int(count * inside_share)
    anywhere = count - inside
    latitudes = rng.uniform(box["min_latitude__min"], box["max_latitude__max"], anywhere)
    longitudes = rng.uniform(box["min_longitude__min"], box["max_longitude__max"], anywhere)
    # Known-inside points: drawn in the box of a random QPV until they fall inside it.
    inside_points: list[tuple[float, float]] = []
    for position in rng.integers(0, len(outlines), inside):
        outline = outlines[position]
        min_lon, min_lat, max_lon, max_lat = outline.bounds
        while True:
            lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
            if shapely.contains_xy(outline, lon, lat):
                inside_points.append((lat, lon))
                break
    points = np.concatenate([np.column_stack([latitudes, longitudes]), np.array(inside_points).reshape(-1, 2)])
    rng.shuffle(points)
    return points, codes, outlines


def bbox_baseline(points: np.ndarray, boxes: Sequence[tuple[float, float, float, float]]) -> list[int]:
    """Plain Python: for each point, the first QPV whose bounding box holds it (no polygon test)."""
    found = []
    for latitude, longitude in points.tolist():
        hit = -1
        for position, (min_lon, min_lat, max_lon, max_lat) in enumerate(boxes):
            if min_lon <= longitude <= max_lon and min_lat <= latitude <= max_lat:
                hit = position
                break
        found.append(hit)
    return found


def naive_shapely(points: np.ndarray, codes: Sequence[str], outlines: Sequence[object]) -> list[str | None]:
    """Every polygon tested in turn with `intersects(Point)`: no index, no prepared geometry."""
    from shapely.geometry import Point

    found: list[str | None] = []
    for latitude, longitude in points.tolist():
        point = Point(longitude, latitude)
        found.append(
            next((code for code, outline in zip(codes, outlines, strict=True) if outline.intersects(point)), None)
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=100_000, help="points of the vectorised measure")
    parser.add_argument("--single-points", type=int, default=20_000, help="points of the one-at-a-time measure")
    parser.add_argument("--baseline-points", type=int, default=2_000, help="points of the naive shapely loop")
    parser.add_argument("--inside-share", type=float, default=0.2, help="share of points known to be in a QPV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    options = parser.parse_args(argv)

    setup_django()
    from territories import qpv_lookup

    points, codes, outlines = draw_points(options.points, options.inside_share, options.seed)
    log(f"{len(points):,} points drawn (seed {options.seed}), {options.inside_share:.0%} known to be in a QPV")

    started = time.perf_counter()
    qpv_lookup.invalidate()
    index = qpv_lookup.qpv_index()
    build_seconds = time.perf_counter() - started
    log(f"index of {len(index)} QPV built in {build_seconds * 1000:.0f} ms")

    single_points = points[: options.single_points]
    baseline_points = points[: options.baseline_points]
    vectorised_result: list[str | None] = []
    single_result: list[str | None] = []

    def vectorised() -> None:
        vectorised_result[:] = qpv_lookup.qpv_codes_at(points)

    def one_at_a_time() -> None:
        single_result[:] = [getattr(qpv_lookup.qpv_at(lat, lon), "code", None) for lat, lon in single_points.tolist()]

    boxes = [outline.bounds for outline in outlines]  # type: ignore[attr-defined]
    naive_result: list[str | None] = []

    def naive() -> None:
        naive_result[:] = naive_shapely(baseline_points, codes, outlines)

    rounds = options.rounds
    results = [
        measure("vectorised qpv_codes_at", len(points), vectorised, rounds),
        measure("one at a time qpv_at", len(single_points), one_at_a_time, rounds),
    ]
    bbox = measure("baseline: bounding boxes, plain Python", len(points), lambda: bbox_baseline(points, boxes), rounds)
    naive_measure = measure("baseline: naive shapely intersects loop", len(baseline_points), naive, rounds)

    mismatches = sum(a != b for a, b in zip(vectorised_result, single_result, strict=False))
    mismatches += sum(a != b for a, b in zip(vectorised_result, naive_result, strict=False))
    in_qpv = sum(code is not None for code in vectorised_result)

    print(f"\nPoint-in-QPV throughput — {len(index)} QPV (59, 62, 54), {len(points):,} points, {in_qpv:,} in a QPV")
    print(f"index build (cold): {build_seconds * 1000:.0f} ms\n")
    header = f"{'method':<42} {'points':>8} {'seconds':>8} {'points/s':>12} {'x bbox':>8} {'x naive':>8}"
    print(header)
    print("-" * len(header))
    for result in [*results, bbox, naive_measure]:
        print(
            f"{result.name:<42} {result.points:>8,} {result.seconds:>8.3f} {result.rate:>12,.0f} "
            f"{result.rate / bbox.rate:>8.1f} {result.rate / naive_measure.rate:>8.1f}"
        )
    print(f"\ntarget: {TARGET:,} points/s; disagreements between methods: {mismatches}")
    if mismatches:
        return 1
    return 0 if all(result.rate >= TARGET for result in results) else 2


if __name__ == "__main__":
    sys.exit(main())
