"""A stand-in for the national address API (BAN): a real HTTP server on 127.0.0.1, canned answers.

The test double sits at the true external boundary: `territories.ban` speaks HTTP to it
exactly as to api-adresse.data.gouv.fr (point `settings.BAN_URL` at `FakeBan.url`).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


def feature(
    *,
    lat: float,
    lon: float,
    citycode: str,
    postcode: str,
    label: str,
    score: float = 0.93,
    kind: str = "housenumber",
) -> dict[str, Any]:
    """One GeoJSON feature as the BAN sends it."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "label": label,
            "score": score,
            "type": kind,
            "citycode": citycode,
            "postcode": postcode,
            "city": label.rsplit(" ", 1)[-1],
            "context": "59, Nord, Hauts-de-France",
        },
    }


class FakeBan:
    """Answers every search with `features` (status 200), or `status`/`body` when set; `delay` seconds late."""

    def __init__(self) -> None:
        self.features: list[dict[str, Any]] = []
        self.status = 200
        self.body: bytes | None = None
        self.delay = 0.0
        self.queries: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                split = urlsplit(self.path)
                fake.queries.append({key: values[0] for key, values in parse_qs(split.query).items()})
                if fake.delay:
                    time.sleep(fake.delay)
                body = fake.body if fake.body is not None else self._search_body()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout): nothing to answer to
                    pass

            def _search_body(self) -> bytes:
                payload = {"type": "FeatureCollection", "version": "draft", "features": fake.features[:1]}
                return json.dumps(payload).encode()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/search/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def found(self, **kwargs: Any) -> None:
        self.features, self.status, self.body = [feature(**kwargs)], 200, None

    def not_found(self) -> None:
        self.features, self.status, self.body = [], 200, None

    def __enter__(self) -> FakeBan:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """The URL of a port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/search/"
