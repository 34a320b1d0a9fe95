"""Closed-loop load on loopback: N clients, each sending its next request when the last one answered.

HTTP: raw HTTP/1.1 over asyncio streams, keep-alive when the server allows it (gunicorn's
sync workers close every connection, so each request then pays a TCP connect, as it
would behind a proxy that talks to them). SQL: psycopg's async connections, one per
client. A phase (warm-up or measured) sends a budget of requests and stops early at its
time limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

# What a client does once; raises on failure, returns an error description or None.
Job = Callable[[], Awaitable[str | None]]


@dataclass
class Phase:
    """Results of one measured phase (or warm-up)."""

    latencies_ms: list[float] = field(default_factory=list)  # successful requests only
    errors: int = 0
    warmup_errors: int = 0  # of the warm-up that preceded this phase; a failure all the same
    error_examples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of this (load generator) process
    server_cpu_s: float | None = None  # of the gunicorn processes (None: not measurable)
    database_cpu_s: float | None = None  # of the PostgreSQL backends of the bench database
    truncated: bool = False  # the time limit stopped it before all requests were sent
    # Responses marked `X-Catalogue-Cache: hit` / `miss` (the catalogue search's result cache).
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def completed(self) -> int:
        return len(self.latencies_ms) + self.errors

    def add_error(self, description: str) -> None:
        self.errors += 1
        if len(self.error_examples) < 5 and description not in self.error_examples:
            self.error_examples.append(description)


class _Tickets:
    """A shared budget of requests, also stopped by a deadline."""

    def __init__(self, count: int, max_seconds: float) -> None:
        self.remaining = count
        self.deadline = time.monotonic() + max_seconds
        self.truncated = False

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        if time.monotonic() >= self.deadline:
            self.truncated = True
            return False
        self.remaining -= 1
        return True


async def _run_phase(jobs: Sequence[Job], count: int, max_seconds: float) -> Phase:
    phase = Phase()
    tickets = _Tickets(count, max_seconds)

    async def client(job: Job) -> None:
        while tickets.take():
            start = time.perf_counter()
            try:
                error = await job()
            except Exception as exc:  # a failed request is a result, not a crash
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                phase.latencies_ms.append((time.perf_counter() - start) * 1000)
            else:
                phase.add_error(error)

    cpu_start, wall_start = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(job) for job in jobs))
    phase.elapsed_s = time.perf_counter() - wall_start
    phase.cpu_s = time.process_time() - cpu_start
    phase.truncated = tickets.truncated
    return phase


@dataclass(frozen=True)
class HttpTarget:
    port: int
    host: str  # the Host header, without port
    paths: Sequence[str]
    expected_status: int = 200
    timeout_s: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    address: str = "127.0.0.1"

    def raw_requests(self) -> list[bytes]:
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.headers.items())
        return [
            (
                f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUser-Agent: fabrique-bench\r\n"
                f"Accept: text/html,*/*\r\nAccept-Encoding: identity\r\n{extra}\r\n"
            ).encode("latin-1")
            for path in self.paths
        ]


class _ServerClosed(Exception):
    """The server closed a kept-alive connection before answering: retry on a new one."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, str | None]:
    """Read one response; return its status, whether the connection stays open, its X-Catalogue-Cache."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _ServerClosed from None
        raise
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    length: int | None = None
    chunked = False
    keep_alive = version == "HTTP/1.1"
    cache: str | None = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "x-catalogue-cache":
            cache = value.strip()
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            tokens = value.lower()
            if "close" in tokens:
                keep_alive = False
            elif "keep-alive" in tokens:
                keep_alive = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()  # until the server closes
        keep_alive = False
    return int(status), keep_alive, cache


class _HttpClient:
    """One simulated user: one connection at a time, reopened when the server closes it."""

    def __init__(self, target: HttpTarget, first: int) -> None:
        self.target = target
        self.requests = target.raw_requests()
        self.next = first
        self.cache_hits = self.cache_misses = 0
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self) -> str | None:
        raw = self.requests[self.next % len(self.requests)]
        self.next += 1
        try:
            async with asyncio.timeout(self.target.timeout_s):
                try:
                    status, keep_alive, cache = await self._exchange(raw)
                except _ServerClosed:
                    self.close()
                    status, keep_alive, cache = await self._exchange(raw)
        except BaseException:
            self.close()
            raise
        if not keep_alive:
            self.close()
        self.cache_hits += cache == "hit"
        self.cache_misses += cache == "miss"
        if status != self.target.expected_status:
            return f"HTTP {status} (expected {self.target.expected_status})"
        return None

    async def _exchange(self, raw: bytes) -> tuple[int, bool, str | None]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.target.address, self.target.port)
        assert self.reader is not None
        self.writer.write(raw)
        return await _read_response(self.reader)


class HttpLoad:
    """`concurrency` clients on `target`; each `phase` sends a budget of requests."""

    def __init__(self, target: HttpTarget, concurrency: int, start: int = 0) -> None:
        # Clients start at evenly spread positions of the paths (from `start`, so that each
        # round goes on where the last one stopped): with a long sequence of requests (a mix
        # of searches), walking it in step would repeat every URL at once.
        count = len(target.paths)
        self.clients = [
            _HttpClient(target, first=start + (i * count // concurrency if count > concurrency else i))
            for i in range(concurrency)
        ]

    async def phase(self, count: int, max_seconds: float) -> Phase:
        hits = sum(c.cache_hits for c in self.clients)
        misses = sum(c.cache_misses for c in self.clients)
        phase = await _run_phase([c.request for c in self.clients], count, max_seconds)
        phase.cache_hits = sum(c.cache_hits for c in self.clients) - hits
        phase.cache_misses = sum(c.cache_misses for c in self.clients) - misses
        return phase

    async def __aenter__(self) -> HttpLoad:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for client in self.clients:
            client.close()


class SqlLoad:
    """The same for one SQL statement, each client on its own connection.

    Connections are opened before any phase, in autocommit and without server-side
    prepared statements, like Django's (its psycopg cursors bind parameters client-side).
    """

    def __init__(self, conninfo: str, sql: str, params: Any, concurrency: int) -> None:
        self.conninfo = conninfo
        self.sql = sql
        self.params = params
        self.concurrency = concurrency
        self.connections: list[psycopg.AsyncConnection[Any]] = []

    async def __aenter__(self) -> SqlLoad:
        for _ in range(self.concurrency):
            connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, prepare_threshold=None)
            self.connections.append(connection)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for connection in self.connections:
            await connection.close()

    def _job(self, connection: psycopg.AsyncConnection[Any]) -> Job:
        async def job() -> str | None:
            async with connection.cursor() as cursor:
                await cursor.execute(self.sql, self.params)
                await cursor.fetchall()
            return None

        return job

    async def phase(self, count: int, max_seconds: float) -> Phase:
        return await _run_phase([self._job(c) for c in self.connections], count, max_seconds)
