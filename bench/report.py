"""Figures of a run: statistics over the measured phases, the table, the JSON file."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.loadgen import Phase


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def _hit_rate(hits: int, misses: int) -> float | None:
    return hits / (hits + misses) if hits + misses else None


def _per_request(seconds: Sequence[float | None], requests: int) -> float | None:
    known = [s for s in seconds if s is not None]
    if not requests or len(known) != len(seconds):
        return None
    return sum(known) * 1000 / requests


@dataclass
class Stats:
    """One scenario's (or SQL baseline's) measured phases, all rounds pooled."""

    requests: int
    errors: int  # of the measured requests and of the warm-ups
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    rps_by_round: list[float]
    p50_ms_by_round: list[float]
    # CPU used by the load generator itself, in cores (it shares the machine with the server).
    client_cpu_cores: float
    # CPU time per request of the gunicorn processes and of the bench database's backends.
    server_cpu_ms_per_request: float | None
    database_cpu_ms_per_request: float | None
    truncated: bool
    error_examples: list[str]
    # Share of the responses marked X-Catalogue-Cache: hit among those marked (None: none was).
    cache_hit_rate: float | None = None

    @classmethod
    def of(cls, phases: Sequence[Phase]) -> Stats:
        latencies = sorted(x for p in phases for x in p.latencies_ms)
        elapsed = sum(p.elapsed_s for p in phases)
        completed = sum(p.completed for p in phases)
        examples: list[str] = []
        for phase in phases:
            examples += [e for e in phase.error_examples if e not in examples]
        return cls(
            requests=completed,
            errors=sum(p.errors + p.warmup_errors for p in phases),
            rps=completed / elapsed if elapsed else math.nan,
            p50_ms=percentile(latencies, 0.50),
            p95_ms=percentile(latencies, 0.95),
            p99_ms=percentile(latencies, 0.99),
            mean_ms=sum(latencies) / len(latencies) if latencies else math.nan,
            max_ms=latencies[-1] if latencies else math.nan,
            rps_by_round=[p.completed / p.elapsed_s if p.elapsed_s else math.nan for p in phases],
            p50_ms_by_round=[percentile(sorted(p.latencies_ms), 0.5) for p in phases],
            client_cpu_cores=sum(p.cpu_s for p in phases) / elapsed if elapsed else math.nan,
            server_cpu_ms_per_request=_per_request([p.server_cpu_s for p in phases], completed),
            database_cpu_ms_per_request=_per_request([p.database_cpu_s for p in phases], completed),
            truncated=any(p.truncated for p in phases),
            error_examples=examples[:5],
            cache_hit_rate=_hit_rate(sum(p.cache_hits for p in phases), sum(p.cache_misses for p in phases)),
        )


def _median_ratio(values: Sequence[float], bases: Sequence[float]) -> float:
    ratios = sorted(v / b for v, b in zip(values, bases, strict=True) if b and not math.isnan(v / b))
    if not ratios:
        return math.nan
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


@dataclass
class Ratio:
    """This scenario against a baseline: how many times slower (p50), what share of the throughput.

    Each round measures the baseline right before the scenario, so the ratio is taken
    per round, then the median of the rounds: a neighbour's load that comes and goes
    between rounds cancels out.
    """

    against: str
    p50_ratio: float
    rps_ratio: float

    @classmethod
    def of(cls, against: str, scenario: Stats, baseline: Stats) -> Ratio:
        return cls(
            against=against,
            p50_ratio=_median_ratio(scenario.p50_ms_by_round, baseline.p50_ms_by_round),
            rps_ratio=_median_ratio(scenario.rps_by_round, baseline.rps_by_round),
        )


@dataclass
class ScenarioResult:
    name: str
    host: str
    paths: list[str]
    description: str
    is_bare_baseline: bool
    expected_status: int
    http: Stats
    queries_per_request: float | None = None  # a repeated request
    queries_first_request: float | None = None  # the first request of each path
    check_error: str | None = None  # the in-process check (status, expected text) failed
    vs_baseline: Ratio | None = None
    sql: str | None = None
    sql_stats: Stats | None = None
    vs_sql: Ratio | None = None
    p95_target_ms: float | None = None

    @property
    def target_missed(self) -> bool:
        return self.p95_target_ms is not None and not self.http.p95_ms <= self.p95_target_ms

    @property
    def failed(self) -> bool:
        sql_errors = self.sql_stats.errors if self.sql_stats else 0
        return bool(self.http.errors or sql_errors or self.check_error)


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}".replace(",", " ")


def _ratio(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"×{value:.2f}"


HEADERS = (
    "scenario",
    "host",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "queries 1st/again",
    "app CPU ms/req",
    "DB CPU ms/req",
    "cache hits",
    "p50 vs base",
    "req/s vs base",
    "p50 vs SQL",
)


def _rows(results: Sequence[ScenarioResult]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for result in results:
        stats = result.http
        name = result.name + (" (baseline)" if result.is_bare_baseline else "")
        if result.target_missed:
            name += f" MISSED p95 ≤ {result.p95_target_ms:g} ms"
        rows.append(
            (
                name,
                result.host,
                _number(stats.rps, 0),
                _number(stats.p50_ms, 2),
                _number(stats.p95_ms, 2),
                _number(stats.p99_ms, 2),
                str(stats.errors) + ("!" if result.check_error else ""),
                f"{_number(result.queries_first_request, 1)}/{_number(result.queries_per_request, 1)}",
                _number(stats.server_cpu_ms_per_request, 2),
                _number(stats.database_cpu_ms_per_request, 2),
                "-" if stats.cache_hit_rate is None else f"{stats.cache_hit_rate:.0%}",
                _ratio(result.vs_baseline.p50_ratio) if result.vs_baseline else "",
                _ratio(result.vs_baseline.rps_ratio) if result.vs_baseline else "",
                _ratio(result.vs_sql.p50_ratio) if result.vs_sql else "",
            )
        )
        if result.sql_stats is not None:
            sql = result.sql_stats
            rows.append(
                (
                    "  └ raw SQL (psycopg)",
                    "",
                    _number(sql.rps, 0),
                    _number(sql.p50_ms, 2),
                    _number(sql.p95_ms, 2),
                    _number(sql.p99_ms, 2),
                    str(sql.errors),
                    "1.0",
                    "",
                    _number(sql.database_cpu_ms_per_request, 2),
                    "",
                    "",
                    "",
                    "",
                )
            )
    return rows


def table(results: Sequence[ScenarioResult]) -> str:
    rows = [HEADERS, *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    left = {0, 1}

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return " | ".join(cells).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_json(path: Path, meta: dict[str, Any], results: Sequence[ScenarioResult]) -> None:
    scenarios = []
    for result in results:
        data = asdict(result)
        data["failed"] = result.failed
        data["target_missed"] = result.target_missed
        scenarios.append(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = _json_safe({**meta, "scenarios": scenarios})
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
