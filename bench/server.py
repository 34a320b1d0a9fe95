"""The production-like server: gunicorn on `fabrique.wsgi:application`, production settings."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

BASE_DIR = Path(__file__).resolve().parent.parent
WSGI_APP = "fabrique.wsgi:application"


@dataclass(frozen=True)
class ServerConfig:
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    port: int = 0  # 0: a free port

    def describe(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """Start gunicorn in its own session; always stop it (SIGTERM, then SIGKILL of its group)."""

    def __init__(self, config: ServerConfig, env: dict[str, str]) -> None:
        self.config = config
        self.port = config.port or free_port()
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self._workdir = tempfile.TemporaryDirectory(prefix="fabrique-bench-")
        self.log_path = Path(self._workdir.name) / "gunicorn.log"
        self.ready_dir = Path(self._workdir.name) / "ready"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            WSGI_APP,
            "--config",
            str(Path(__file__).with_name("gunicorn_conf.py")),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.config.workers),
            "--worker-class",
            self.config.worker_class,
            "--threads",
            str(self.config.threads),
            "--log-level",
            "warning",
            "--error-logfile",
            "-",
            # gunicorn 27 opens a control socket in ~/.gunicorn by default: shared with
            # any other gunicorn of this user, so none here.
            "--no-control-socket",
        ]
        if Path("/dev/shm").is_dir():
            # The workers' heartbeat file: on tmpfs, never blocked by a slow disk.
            command += ["--worker-tmp-dir", "/dev/shm"]
        return command

    def start(self, ready_timeout: float = 60.0) -> None:
        self.ready_dir.mkdir()
        env = {**self.env, "BENCH_READY_DIR": str(self.ready_dir)}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl-C reaches the harness only, which stops it.
                start_new_session=True,
            )
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until every worker loaded the application and /healthz answers 200."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.process.returncode}.\n{self.log_tail()}")
            if len(list(self.ready_dir.iterdir())) >= self.config.workers:
                try:
                    status, body = self.get("/healthz", "localhost")
                except OSError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if status == 200:
                        return
                    last = f"HTTP {status}: {body[:200]!r}"
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s ({last}).\n{self.log_tail()}")

    def get(self, path: str, host: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", path, headers={"Host": f"{host}:{self.port}"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- gunicorn log (last {lines} lines) ---\n{tail}" if tail else ""

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful: workers finish their request
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group of the gunicorn we started
                process.wait()
        self._workdir.cleanup()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
