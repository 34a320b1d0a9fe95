"""`python -m bench.run`: benchmark the portal under gunicorn with production settings.

1. the bench database (`fabrique_bench`) is created if missing, migrated, static files collected;
2. each planned scenario's `setup` creates its data; each page is requested once in-process
   (Django test client) to check it and count its queries;
3. gunicorn starts; every round runs each scenario (warm-up, then measured requests) right
   after the bare view of its host, and its raw SQL baseline if it has one;
4. the table goes to stdout, the same figures to bench/results/latest.json; the exit code is
   1 if anything failed (errors, wrong page), 2 if a p95 target was missed, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from bench.cpu import CpuMeter
from bench.database import BENCH_DATABASE, BenchDatabase, prepare
from bench.loadgen import HttpLoad, HttpTarget, Phase, SqlLoad
from bench.report import Ratio, ScenarioResult, Stats, table, write_json
from bench.scenario import Scenario, SqlParams, baseline_of, discover, plan
from bench.server import BASE_DIR, Gunicorn, ServerConfig

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6390/0"
SETTINGS_MODULE = "fabrique.settings.production"
# The warm-up stops after this long even if its requests are not all sent.
WARMUP_MAX_SECONDS = 2.0
# Above this 1-minute load average per CPU before the run, the report warns of a busy machine.
BUSY_LOAD_PER_CPU = 0.5
# The in-process check requests at most this many distinct paths of a scenario (a mix has thousands).
PROBE_PATHS = 40


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME[,NAME]", help="run these scenarios (and baselines)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--fresh", action="store_true", help=f"drop and recreate the {BENCH_DATABASE} database first")
    parser.add_argument("--concurrency", "-c", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--requests", "-n", type=int, default=1500, help="measured requests per round (default 1500)")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up requests per round (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; baseline and scenario alternate (default 3)")
    parser.add_argument(
        "--max-seconds", type=float, default=5.0, help="time limit of each measured phase, seconds (default 5)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="time limit of one request, seconds (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"], help="(default sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker (default 1)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port (default: a free one)")
    parser.add_argument("--json", type=Path, default=DEFAULT_RESULTS, help=f"results file (default {DEFAULT_RESULTS})")
    args = parser.parse_args(argv)
    args.only = [name.strip() for item in args.only or [] for name in item.split(",") if name.strip()] or None
    for name in ("concurrency", "requests", "rounds", "workers", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be positive")
    return args


def server_environment(database: BenchDatabase) -> dict[str, str]:
    """Production settings, on the bench database, reachable on loopback without TLS; DEBUG off."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": ".localhost,localhost,127.0.0.1",
        "FABRIQUE_NATIONAL_HOSTS": "localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_CONN_MAX_AGE": "600",
        "DATABASE_URL": database.url,
        "REDIS_URL": os.environ.get("REDIS_URL", "").strip() or DEFAULT_REDIS_URL,
    }


def prepare_django(database: BenchDatabase) -> None:
    """Configure Django here on the bench database: migrations, cache table, static files."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    name = settings.DATABASES["default"]["NAME"]
    if name != BENCH_DATABASE:  # never write anywhere else
        raise RuntimeError(f"Refusing to run: Django is configured on {name!r}, not {BENCH_DATABASE!r}.")
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    log(f"database {BENCH_DATABASE} migrated ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    log(f"static files collected into {settings.STATIC_ROOT} ({time.perf_counter() - started:.1f} s)")


def run_setups(planned: Sequence[Scenario]) -> None:
    done: list[Callable[[], None]] = []
    for scenario in planned:
        if scenario.setup is not None and scenario.setup not in done:
            started = time.perf_counter()
            scenario.setup()
            done.append(scenario.setup)
            log(f"setup of {scenario.name} done ({time.perf_counter() - started:.1f} s)")


def probe(scenario: Scenario, paths: Sequence[str]) -> tuple[float, float, str | None]:
    """Request each path in-process, as the server would serve it: queries per request, check.

    Each path is requested twice and both requests counted: the first pays for what is kept
    afterwards (content types, templates; the catalogue search's index, parsed words and rendered
    regions: a first-time search), the second is a repeat. The queries of the tenant
    lookup and of every middleware are included; Django's connection health check
    (CONN_HEALTH_CHECKS: a `SELECT 1` before the first query of a request on a reused
    connection) is not.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {**scenario.headers, "host": scenario.host}
    firsts: list[int] = []
    counts: list[int] = []
    problem: str | None = None
    for path in list(dict.fromkeys(paths))[:PROBE_PATHS]:
        try:
            with CaptureQueriesContext(connection) as first:
                client.get(path, headers=headers)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, headers=headers)
        except Exception as exc:
            return float("nan"), float("nan"), f"GET {path}: {type(exc).__name__}: {exc}"
        firsts.append(len(first))
        counts.append(len(queries))
        body = response.getvalue()  # the streamed content too
        if response.status_code != scenario.expected_status:
            problem = problem or f"GET {path} on {scenario.host}: HTTP {response.status_code}"
        elif scenario.expect_text and scenario.expect_text not in body.decode("utf-8", "replace"):
            problem = problem or f"GET {path} on {scenario.host}: {scenario.expect_text!r} not in the page"
    return sum(firsts) / len(firsts), sum(counts) / len(counts), problem


async def measure(
    planned: Sequence[Scenario],
    paths: dict[str, list[str]],
    sql: dict[str, tuple[str, SqlParams]],
    server: Gunicorn,
    conninfo: str,
    args: argparse.Namespace,
) -> tuple[dict[str, list[Phase]], dict[str, list[Phase]]]:
    """Every round: each scenario (warm-up, then measured), then its raw SQL if it has one."""
    http: dict[str, list[Phase]] = {s.name: [] for s in planned}
    raw: dict[str, list[Phase]] = {name: [] for name in sql}
    meter = CpuMeter(lambda: server.pid, BENCH_DATABASE)
    warmup_seconds = min(WARMUP_MAX_SECONDS, args.max_seconds)

    async def run(load: HttpLoad | SqlLoad) -> Phase:
        async with load:
            warm = await load.phase(args.warmup, warmup_seconds)
            before = meter.snapshot()
            phase = await load.phase(args.requests, args.max_seconds)
            phase.server_cpu_s, phase.database_cpu_s = meter.since(before)
        phase.warmup_errors = warm.errors
        phase.error_examples = [
            *phase.error_examples,
            *(e for e in warm.error_examples if e not in phase.error_examples),
        ]
        return phase

    for round_number in range(1, args.rounds + 1):
        for scenario in planned:
            target = HttpTarget(
                port=server.port,
                host=scenario.host,
                paths=paths[scenario.name],
                expected_status=scenario.expected_status,
                timeout_s=args.timeout,
                headers=dict(scenario.headers),
            )
            # Each round goes on along the paths (a long mix of searches is not replayed).
            start = (round_number - 1) * ((args.warmup + args.requests) // args.concurrency)
            phase = await run(HttpLoad(target, args.concurrency, start))
            http[scenario.name].append(phase)
            _log_phase(round_number, args.rounds, scenario.name, phase)
            if scenario.name in sql:
                statement, params = sql[scenario.name]
                phase = await run(SqlLoad(conninfo, statement, params, args.concurrency))
                phase.server_cpu_s = None  # gunicorn is idle meanwhile
                raw[scenario.name].append(phase)
                _log_phase(round_number, args.rounds, scenario.name + " [SQL]", phase)
    return http, raw


def _log_phase(round_number: int, rounds: int, name: str, phase: Phase) -> None:
    stats = Stats.of([phase])
    log(
        f"round {round_number}/{rounds} {name:<24} {stats.rps:8.0f}/s  p50 {stats.p50_ms:7.2f} ms"
        f"  p95 {stats.p95_ms:7.2f} ms  errors {stats.errors}" + ("  (time limit)" if phase.truncated else "")
    )


def git_state() -> dict[str, Any]:
    def git(*command: str) -> str:
        result = subprocess.run(["git", *command], cwd=BASE_DIR, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: gunicorn is stopped on the way out


def collect(
    planned: Sequence[Scenario],
    paths: dict[str, list[str]],
    sql: dict[str, tuple[str, SqlParams]],
    probes: dict[str, tuple[float, float, str | None]],
    http: dict[str, list[Phase]],
    raw: dict[str, list[Phase]],
) -> list[ScenarioResult]:
    results: list[ScenarioResult] = []
    for scenario in planned:
        stats = Stats.of(http[scenario.name])
        first_queries, queries, problem = probes[scenario.name]
        result = ScenarioResult(
            name=scenario.name,
            host=scenario.host,
            paths=paths[scenario.name],
            description=scenario.description,
            is_bare_baseline=scenario.is_bare_baseline,
            expected_status=scenario.expected_status,
            http=stats,
            queries_per_request=queries,
            queries_first_request=first_queries,
            check_error=problem,
            p95_target_ms=scenario.p95_target_ms,
        )
        baseline = baseline_of(scenario, planned)
        if baseline is not None:
            result.vs_baseline = Ratio.of(baseline.name, stats, Stats.of(http[baseline.name]))
        if scenario.name in sql:
            result.sql = sql[scenario.name][0]
            result.sql_stats = Stats.of(raw[scenario.name])
            result.vs_sql = Ratio.of("raw SQL", stats, result.sql_stats)
        results.append(result)
    return results


def print_report(results: Sequence[ScenarioResult], meta: dict[str, Any], json_path: Path, server_log: str) -> int:
    """The table and its notes on stdout; return the exit code."""
    cpus = os.cpu_count() or 1
    load_before = meta["machine"]["load_average_before"][0]
    load = meta["load"]
    print()
    print(
        f"{meta['server']['description']}, {SETTINGS_MODULE}, {load['concurrency']} clients, "
        f"{load['rounds']} × {load['requests_per_round']} requests after {load['warmup_per_round']} warm-up; "
        f"{cpus} CPUs, load average before {load_before:.2f}; /healthz: {meta['server']['healthz']}"
    )
    print(table(results))
    print()
    print(
        "vs base: against the bare view (/robots.txt) on the same host, median of the rounds' ratios. "
        "p50 vs SQL: against the raw SQL baseline (└ row)."
    )
    if load_before > BUSY_LOAD_PER_CPU * cpus:
        print(
            f"WARNING: the machine was busy before the run (load average {load_before:.2f} on {cpus} CPUs): "
            "absolute figures are low and noisy; the ratios and CPU ms/req much less so."
        )
    client = max(r.http.client_cpu_cores for r in results)
    print(f"Load generator CPU: up to {client:.2f} core(s) of {cpus}. Results: {json_path}")

    failures = [r for r in results if r.failed]
    for result in failures:
        errors = [result.check_error, *result.http.error_examples]
        if result.sql_stats:
            errors += result.sql_stats.error_examples
        print(f"FAILED {result.name}: {'; '.join(filter(None, errors))}")
    if failures:
        if server_log:
            print(server_log)
        return 1
    missed = [r for r in results if r.target_missed]
    for result in missed:
        print(f"TARGET MISSED {result.name}: p95 {result.http.p95_ms:.1f} ms > {result.p95_target_ms:g} ms")
    return 2 if missed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    scenarios = discover()
    if args.list:
        for scenario in scenarios:
            print(f"{scenario.name:<16} {scenario.host:<20} {scenario.description}")
        return 0
    planned = plan(scenarios, args.only)
    started_at = dt.datetime.now(dt.UTC)
    wall_start = time.perf_counter()
    load_before = os.getloadavg()

    database = prepare(fresh=args.fresh)
    log(f"database: {database.where} ({'created' if database.created else 'exists'})")
    env = server_environment(database)
    os.environ.update(env)
    prepare_django(database)
    run_setups(planned)
    paths = {s.name: s.resolved_paths() for s in planned}
    sql = {s.name: resolved for s in planned if (resolved := s.resolved_sql()) is not None}
    probes = {s.name: probe(s, paths[s.name]) for s in planned}
    from django.db import connections

    connections.close_all()  # the server has its own

    config = ServerConfig(workers=args.workers, worker_class=args.worker_class, threads=args.threads, port=args.port)
    with Gunicorn(config, env) as server:
        started = time.perf_counter()
        server.start()
        log(f"{config.describe()} ready on 127.0.0.1:{server.port} ({time.perf_counter() - started:.1f} s)")
        _, health = server.get("/healthz", "localhost")
        http, raw = asyncio.run(measure(planned, paths, sql, server, database.conninfo, args))
        server_log = server.log_tail(40)
        command = ["python", *server.command()[1:]]

    results = collect(planned, paths, sql, probes, http, raw)
    meta: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - wall_start, 1),
        "git": git_state(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "server": {
            "description": config.describe(),
            "command": " ".join(command),
            "workers": config.workers,
            "worker_class": config.worker_class,
            "threads": config.threads,
            "settings": SETTINGS_MODULE,
            "conn_max_age": int(env["DJANGO_CONN_MAX_AGE"]),
            "database": database.where,
            "healthz": health.decode("utf-8", "replace"),
        },
        "load": {
            "concurrency": args.concurrency,
            "warmup_per_round": args.warmup,
            "requests_per_round": args.requests,
            "rounds": args.rounds,
            "max_seconds_per_phase": args.max_seconds,
            "request_timeout_s": args.timeout,
        },
    }
    write_json(args.json, meta, results)
    return print_report(results, meta, args.json, server_log)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted (gunicorn stopped if it was running)")
        sys.exit(130)
