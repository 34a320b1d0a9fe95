"""The one client of the national address API (Base Adresse Nationale, `api-adresse.data.gouv.fr`).

`geocode()` asks for the best match of a free-text address, optionally filtered by INSEE
code (`citycode`) or postcode. It returns a `GeocodedAddress`, `None` when the BAN finds
nothing good enough (no match, or a score under `settings.BAN_MIN_SCORE`), and raises
`GeocoderUnavailable` when the service cannot answer: unreachable, timed out, a 5xx or
429, or an answer that is not the expected GeoJSON. Callers must never block a person
on that error (see `territories.address_checks`).

`settings.BAN_URL` points at the search endpoint and `settings.BAN_TIMEOUT_SECONDS`
bounds every socket operation (connection, then each read). Standard library only.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# The BAN refuses queries outside 3..200 characters (HTTP 400).
QUERY_MIN_LENGTH = 3
QUERY_MAX_LENGTH = 200
# A search answer is a few kilobytes; anything far bigger is not the BAN.
MAX_RESPONSE_BYTES = 1_000_000
USER_AGENT = "fabrique-a-entreprendre (verification d'adresse en QPV)"


class GeocoderUnavailable(Exception):
    """The address API could not give an answer now (unreachable, timeout, server error)."""


@dataclass(frozen=True)
class GeocodedAddress:
    """The BAN's best match for an address."""

    label: str
    latitude: float
    longitude: float
    score: float
    citycode: str  # INSEE code of the commune (of the arrondissement in Paris, Lyon, Marseille)
    postcode: str
    # BAN result type: "housenumber", "street", "locality" or "municipality".
    kind: str


def geocode(address: str, *, citycode: str = "", postcode: str = "") -> GeocodedAddress | None:
    """The best match for `address`, or None when there is none good enough.

    Raises GeocoderUnavailable when the BAN cannot be asked.
    """
    query = " ".join(address.split())[:QUERY_MAX_LENGTH]
    if len(query) < QUERY_MIN_LENGTH:
        return None
    params = {"q": query, "limit": "1"}
    if citycode:
        params["citycode"] = citycode
    if postcode:
        params["postcode"] = postcode
    payload = _get_json(f"{settings.BAN_URL}?{urllib.parse.urlencode(params)}")
    try:
        return _best_match(payload)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise GeocoderUnavailable(f"réponse inattendue de la Base Adresse Nationale : {error!r}") from error


def _get_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=float(settings.BAN_TIMEOUT_SECONDS)) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 400:
            # The query itself was refused (e.g. nothing searchable in it): nothing to find.
            logger.info("BAN refused the query (400): %s", url)
            return {"features": []}
        raise GeocoderUnavailable(f"la Base Adresse Nationale a répondu {error.code}") from error
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets, bad status lines
        reason = getattr(error, "reason", error)
        raise GeocoderUnavailable(f"Base Adresse Nationale injoignable : {reason}") from error
    if len(body) > MAX_RESPONSE_BYTES:
        raise GeocoderUnavailable("réponse trop volumineuse de la Base Adresse Nationale")
    try:
        return json.loads(body)
    except ValueError as error:
        raise GeocoderUnavailable("réponse illisible de la Base Adresse Nationale") from error


def _best_match(payload: Any) -> GeocodedAddress | None:
    features = payload["features"]
    if not features:
        return None
    feature = features[0]
    properties = feature["properties"]
    longitude, latitude = (float(value) for value in feature["geometry"]["coordinates"][:2])
    score = float(properties["score"])
    if not all(math.isfinite(value) for value in (latitude, longitude, score)):
        raise ValueError("non-finite coordinates or score")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"coordinates out of range: {latitude}, {longitude}")
    if score < settings.BAN_MIN_SCORE:
        return None
    return GeocodedAddress(
        label=str(properties.get("label", "")),
        latitude=latitude,
        longitude=longitude,
        score=score,
        citycode=str(properties.get("citycode", "")),
        postcode=str(properties.get("postcode", "")),
        kind=str(properties.get("type", "")),
    )
