"""The BAN client, against a fake BAN server on 127.0.0.1 (the only double: the network boundary)."""

from __future__ import annotations

import time

import pytest

from territories.ban import GeocodedAddress, GeocoderUnavailable, geocode
from tests.territories.fake_ban import FakeBan, closed_port_url

HEM = {"citycode": "59299", "postcode": "59510", "label": "1 Rue de la Lionderie 59510 Hem"}


@pytest.fixture
def ban(settings):
    with FakeBan() as fake:
        settings.BAN_URL = fake.url
        settings.BAN_TIMEOUT_SECONDS = 0.5
        yield fake


def test_a_found_address_gives_its_point_score_and_codes(ban):
    ban.found(lat=50.667601, lon=3.196493, score=0.87, **HEM)

    match = geocode("1 rue de la Lionderie", postcode="59510")

    assert match == GeocodedAddress(
        label=HEM["label"],
        latitude=50.667601,
        longitude=3.196493,
        score=0.87,
        citycode="59299",
        postcode="59510",
        kind="housenumber",
    )
    assert ban.queries == [{"q": "1 rue de la Lionderie", "limit": "1", "postcode": "59510"}]


def test_filters_are_sent_and_the_query_is_tidied(ban):
    ban.found(lat=50.66, lon=3.19, **HEM)

    geocode("  1   rue de la\tLionderie ", citycode="59299")

    assert ban.queries == [{"q": "1 rue de la Lionderie", "limit": "1", "citycode": "59299"}]


def test_no_match_is_none(ban):
    ban.not_found()

    assert geocode("rue qui n'existe pas", postcode="59510") is None


def test_a_match_under_the_score_threshold_is_none(ban, settings):
    settings.BAN_MIN_SCORE = 0.5
    ban.found(lat=50.66, lon=3.19, score=0.31, **HEM)

    assert geocode("zzz", postcode="59510") is None


def test_a_query_too_short_for_the_ban_is_not_sent(ban):
    assert geocode(" a ") is None
    assert ban.queries == []


def test_a_refused_query_is_none(ban):
    ban.status, ban.body = 400, b'{"code": 400, "message": "q must contain between 3 and 200 chars"}'

    assert geocode("---") is None


@pytest.mark.parametrize("status", [500, 502, 503, 429, 404])
def test_server_errors_make_the_geocoder_unavailable(ban, status):
    ban.status, ban.body = status, b"{}"

    with pytest.raises(GeocoderUnavailable, match=str(status)):
        geocode("1 rue de la Lionderie")


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b"{}", b'{"features": [{"geometry": null}]}', b'{"features": "none"}'],
)
def test_an_unexpected_answer_makes_the_geocoder_unavailable(ban, body):
    ban.body = body

    with pytest.raises(GeocoderUnavailable):
        geocode("1 rue de la Lionderie")


def test_an_unreachable_ban_is_unavailable_at_once(settings):
    settings.BAN_URL = closed_port_url()

    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable, match="injoignable"):
        geocode("1 rue de la Lionderie")
    assert time.monotonic() - started < 1


def test_the_timeout_is_honoured(ban, settings):
    settings.BAN_TIMEOUT_SECONDS = 0.3
    ban.delay = 2.0
    ban.found(lat=50.66, lon=3.19, **HEM)

    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable):
        geocode("1 rue de la Lionderie")
    assert time.monotonic() - started < 1.5
