"""CPU time of the server's processes, read from /proc (Linux): a figure a busy machine disturbs little.

Latency and throughput depend on what else runs on the machine; the CPU time the
gunicorn workers and the PostgreSQL backends spend per request depends mostly on the code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def available() -> bool:
    return (PROC / "self" / "stat").exists()


@dataclass(frozen=True)
class Snapshot:
    server: dict[int, float]
    database: dict[int, float]


class CpuMeter:
    """CPU seconds of a process tree (gunicorn) and of the PostgreSQL backends of one database."""

    def __init__(self, root_pid: Callable[[], int | None], database: str) -> None:
        self.root_pid = root_pid
        # PostgreSQL backends show "postgres: <user> <database> ..." as their command line.
        self.database_marker = f" {database} "

    def snapshot(self) -> Snapshot | None:
        root = self.root_pid()
        if not available() or root is None:
            return None
        server: dict[int, float] = {}
        database: dict[int, float] = {}
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = _stat(pid)
            if stat is None:
                continue
            parent, seconds = stat
            if pid == root or parent == root:
                server[pid] = seconds
                continue
            command = _cmdline(pid)
            if command.startswith("postgres: ") and self.database_marker in command:
                database[pid] = seconds
        return Snapshot(server, database)

    def since(self, before: Snapshot | None) -> tuple[float | None, float | None]:
        """CPU seconds spent since `before` by the server and by the database (None: not measurable)."""
        after = self.snapshot()
        if before is None or after is None:
            return None, None

        def delta(start: dict[int, float], end: dict[int, float]) -> float | None:
            if not end:
                return None
            return sum(seconds - start.get(pid, 0.0) for pid, seconds in end.items())

        return delta(before.server, after.server), delta(before.database, after.database)
