"""gunicorn hooks for the bench server: each worker says when it has loaded the application.

Without this, the first scenario could start while one worker is still importing Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    ready_dir = os.environ.get("BENCH_READY_DIR")
    if ready_dir:
        (Path(ready_dir) / f"worker-{os.getpid()}").touch()
