"""What a scenario declares, and the registry that finds them under `bench/scenarios/`.

A scenario module defines a module-level `SCENARIO = Scenario(...)`. The harness imports
every module of the `bench.scenarios` package, in file-name order.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

# Parameters of a raw SQL statement, as psycopg takes them.
SqlParams: TypeAlias = Sequence[Any] | Mapping[str, Any]

BARE_VIEW_PATH = "/robots.txt"


@dataclass(frozen=True)
class Scenario:
    """One thing to measure: GET requests on one host, after `setup` created their data.

    name: what `--only` selects and the report prints.
    host: the Host header sent (the server is always reached on 127.0.0.1); the tenancy
        middleware resolves the Fabrique from it.
    paths: the paths requested, in turn by each client; or a callable, called after
        `setup`, that returns them (e.g. when a path holds an id).
    expected_status: any other status counts as an error.
    expect_text: must appear in the body of every path (checked once, in-process).
    setup: creates the scenario's data in the bench database, idempotently (Django ORM;
        it runs after migrations, in the harness process, on the bench database only).
    sql_baseline / sql_params: the raw SQL of the same work (e.g. the aggregation behind a
        dashboard), with `%s` or `%(name)s` placeholders; the harness runs it with psycopg
        at the same concurrency and prints the page's p50 beside it. `sql_params` may be a
        callable, called after `setup`; `sql_baseline` may be a callable returning both
        (e.g. `lambda: queryset.query.sql_with_params()`, the SQL the ORM sends).
    p95_target_ms: an objective; a run that misses it exits non-zero.
    is_bare_baseline: this scenario is the bare view of its host (see `bare_view`).
    """

    name: str
    host: str
    paths: Sequence[str] | Callable[[], Sequence[str]] = ("/",)
    description: str = ""
    expected_status: int = 200
    expect_text: str | None = None
    setup: Callable[[], None] | None = None
    sql_baseline: str | Callable[[], tuple[str, SqlParams]] | None = None
    sql_params: SqlParams | Callable[[], SqlParams] = ()
    p95_target_ms: float | None = None
    is_bare_baseline: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def resolved_paths(self) -> list[str]:
        paths = self.paths() if callable(self.paths) else self.paths
        if not paths:
            raise ValueError(f"Scenario {self.name!r} has no path to request.")
        return list(paths)

    def resolved_sql(self) -> tuple[str, SqlParams] | None:
        if self.sql_baseline is None:
            return None
        if callable(self.sql_baseline):
            return self.sql_baseline()
        params = self.sql_params() if callable(self.sql_params) else self.sql_params
        return self.sql_baseline, params


def bare_view(host: str, *, name: str | None = None, setup: Callable[[], None] | None = None) -> Scenario:
    """The baseline of every page on `host`: a view with no database access of its own.

    It goes through the whole middleware stack, tenant lookup included, so a page's
    ratio to it is the cost of the page itself.
    """
    return Scenario(
        name=name or f"bare@{host}",
        host=host,
        paths=(BARE_VIEW_PATH,),
        description=f"GET {BARE_VIEW_PATH}: middleware stack only (baseline of {host})",
        expect_text="User-agent: *",
        setup=setup,
        is_bare_baseline=True,
    )


def discover() -> list[Scenario]:
    """Every `SCENARIO` of the `bench.scenarios` modules, in module-name order."""
    import bench.scenarios as package

    scenarios: list[Scenario] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if not isinstance(scenario, Scenario):
            raise TypeError(f"bench.scenarios.{info.name} must define SCENARIO = Scenario(...).")
        scenarios.append(scenario)
    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Duplicate scenario names: {', '.join(duplicates)}")
    return scenarios


def plan(scenarios: Sequence[Scenario], only: Sequence[str] | None) -> list[Scenario]:
    """The scenarios to run, grouped by host, each host's bare-view baseline first.

    A host without a declared bare view gets one made up (`bare@<host>`).
    """
    by_name = {s.name: s for s in scenarios}
    if only:
        unknown = [n for n in only if n not in by_name]
        if unknown:
            raise SystemExit(f"Unknown scenario(s): {', '.join(unknown)}. Known: {', '.join(by_name)}")
        chosen = [by_name[n] for n in only]
    else:
        chosen = list(scenarios)
    baselines: dict[str, Scenario] = {s.host: s for s in scenarios if s.is_bare_baseline}
    hosts = list(dict.fromkeys(s.host for s in chosen))
    ordered: list[Scenario] = []
    for host in hosts:
        ordered.append(baselines.get(host) or bare_view(host))
        ordered.extend(s for s in chosen if s.host == host and not s.is_bare_baseline)
    return ordered


def baseline_of(scenario: Scenario, planned: Sequence[Scenario]) -> Scenario | None:
    """The bare view this scenario is compared with (None for a bare view itself)."""
    if scenario.is_bare_baseline:
        return None
    return next(s for s in planned if s.is_bare_baseline and s.host == scenario.host)
