"""Public pages of a Fabrique's places: list with filters, detail, map of the perimeter."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from fabrique.models import Fabrique
from territories.models import EPCI, Commune, Place
from tests.conftest import client_on
from tests.factories import CommuneFactory, EPCIFactory, PlaceFactory, qpv_from_file

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Perimeter:
    epci: EPCI
    lille: Commune
    roubaix: Commune


# Fictitious codes (SIREN 9999…, INSEE 99…): the session may hold the official geography
# (tests/conftest.py), whose real EPCI of Lille would bring its own QPV into the perimeter.
@pytest.fixture
def perimeter(fabrique: Fabrique) -> Perimeter:
    epci = EPCIFactory(siren="999900001", name="Métropole de test", nature=EPCI.Nature.METRO)
    fabrique.perimeter.add(epci)
    return Perimeter(
        epci=epci,
        lille=CommuneFactory(insee="99350", name="Lille", epci=epci, latitude=50.63199, longitude=3.04685),
        roubaix=CommuneFactory(insee="99512", name="Roubaix", epci=epci, latitude=50.68825, longitude=3.18185),
    )


@pytest.fixture
def elsewhere(other_fabrique: Fabrique) -> Commune:
    """A commune of the other Fabrique's perimeter (Dunkerque)."""
    epci = EPCIFactory(siren="999900002", name="Communauté urbaine de test", nature=EPCI.Nature.CU)
    other_fabrique.perimeter.add(epci)
    return CommuneFactory(insee="99183", name="Dunkerque", epci=epci, latitude=51.03008, longitude=2.33671)


def _get(path: str, host: str = HOST, **params):
    return client_on(host).get(path, params)


def _card_titles(response) -> list[str]:
    return re.findall(r'<h3 class="card__title">\s*<a href="/lieux/[^"]+/">([^<]+)</a>', response.text)


# ------------------------------------------------------------------------------- list
def test_list_shows_the_places_of_the_perimeter_only(perimeter, elsewhere):
    PlaceFactory(name="Espace ressource Fives", commune=perimeter.lille)
    PlaceFactory(name="Espace ressource Roubaix", commune=perimeter.roubaix)
    PlaceFactory(name="Ancien lieu", commune=perimeter.lille, is_active=False)
    PlaceFactory(name="La Turbine", commune=elsewhere)
    response = _get("/lieux/")
    assert response.status_code == 200
    assert _card_titles(response) == ["Espace ressource Fives", "Espace ressource Roubaix"]
    assert "2 lieux" in response.text
    # The other Fabrique sees its own.
    assert _card_titles(_get("/lieux/", host="dunkerque.localhost")) == ["La Turbine"]


def test_list_cards_show_address_commune_qpv_and_label(perimeter):
    qpv = qpv_from_file("QN05973M", epcis=[perimeter.epci], communes=[perimeter.lille])
    PlaceFactory(
        name="Espace ressource Fives",
        street_address="12 rue Pierre Legrand",
        postal_code="59800",
        commune=perimeter.lille,
        qpv=qpv,
        labelled=True,
    )
    text = _get("/lieux/").text
    assert "12 rue Pierre Legrand, 59800 Lille" in text
    assert "Dans le quartier prioritaire Secteur Nord Est" in text
    assert "Labellisé" in text
    assert "Espace ressource" in text


def test_filters_by_type_commune_qpv_and_label(perimeter):
    qpv = qpv_from_file("QN05981M", epcis=[perimeter.epci], communes=[perimeter.roubaix])
    PlaceFactory(name="A Lille totem", kind=Place.Kind.LIEU_TOTEM, commune=perimeter.lille, labelled=True)
    PlaceFactory(name="B Lille tiers-lieu", kind=Place.Kind.THIRD_PLACE, commune=perimeter.lille)
    PlaceFactory(name="C Roubaix en QPV", commune=perimeter.roubaix, qpv=qpv)
    PlaceFactory(name="D Roubaix candidat", commune=perimeter.roubaix, label_status=Place.LabelStatus.CANDIDATE)

    assert _card_titles(_get("/lieux/", type="lieu_totem")) == ["A Lille totem"]
    assert _card_titles(_get("/lieux/", commune="99512")) == ["C Roubaix en QPV", "D Roubaix candidat"]
    assert _card_titles(_get("/lieux/", qpv="oui")) == ["C Roubaix en QPV"]
    assert _card_titles(_get("/lieux/", qpv="non")) == ["A Lille totem", "B Lille tiers-lieu", "D Roubaix candidat"]
    assert _card_titles(_get("/lieux/", label="labelled")) == ["A Lille totem"]
    assert _card_titles(_get("/lieux/", label="candidate", commune="99512")) == ["D Roubaix candidat"]
    assert _card_titles(_get("/lieux/", type="third_place", commune="99512")) == []
    assert "Aucun lieu ne correspond à ces filtres" in _get("/lieux/", type="third_place", commune="99512").text


def test_filter_form_works_without_javascript_and_offers_only_communes_with_places(perimeter, elsewhere):
    CommuneFactory(insee="99299", name="Hem", epci=perimeter.epci)
    PlaceFactory(commune=perimeter.lille)
    text = _get("/lieux/", commune="99350").text
    form = re.search(
        r'<form class="form"\s+method="get"\s+action="/lieux/"\s+role="search"[^>]*>(.*?)</form>', text, re.S
    ).group(1)
    assert 'type="submit"' in form
    assert re.search(r'<option value="99350"\s+selected>Lille \(99350\)</option>', form)
    assert "Hem" not in form  # no place there
    assert "Dunkerque" not in form  # another perimeter
    assert 'href="/lieux/"' in text  # "Effacer les filtres" once a filter is applied


def test_an_unknown_filter_value_is_reported_not_a_crash(perimeter):
    PlaceFactory(name="Lieu", commune=perimeter.lille)
    response = _get("/lieux/", type="castle", commune="00000")
    assert response.status_code == 200
    assert response.text.count('class="field__error"') == 2
    assert _card_titles(response) == ["Lieu"]


def test_pagination_keeps_the_filters_in_its_links(perimeter):
    for i in range(14):
        PlaceFactory(name=f"Lieu {i:02d}", commune=perimeter.lille)
    PlaceFactory(name="Lieu à Roubaix", commune=perimeter.roubaix)
    first = _get("/lieux/", commune="99350")
    assert len(_card_titles(first)) == 12
    assert "page 1 sur 2" in first.text
    assert 'href="?commune=99350&amp;page=2"' in first.text
    second = _get("/lieux/", commune="99350", page="2")
    assert _card_titles(second) == ["Lieu 12", "Lieu 13"]
    # An out-of-range page shows the last one rather than an error.
    assert _card_titles(_get("/lieux/", commune="99350", page="99")) == ["Lieu 12", "Lieu 13"]


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_does_not_grow_with_rows(perimeter, rows, django_assert_num_queries):
    qpv = qpv_from_file("QN05973M", epcis=[perimeter.epci])
    for i in range(rows):
        PlaceFactory(commune=perimeter.lille if i % 2 else perimeter.roubaix, qpv=qpv if i % 3 else None)
    client = client_on(HOST)
    # tenant, perimeter, communes of the filter, count, page of places (with commune and QPV)
    with django_assert_num_queries(5):
        response = client.get("/lieux/", {"qpv": "oui"} if rows > 1 else {})
    assert response.status_code == 200


def test_empty_perimeter_says_so(fabrique):
    response = _get("/lieux/")
    assert response.status_code == 200
    assert "seront bientôt publiés" in response.text


# ----------------------------------------------------------------------------- detail
def test_detail_shows_address_qpv_hours_accessibility_label_and_a_location_map(perimeter):
    qpv = qpv_from_file("QN05973M", epcis=[perimeter.epci], communes=[perimeter.lille])
    qpv_from_file("QN05985M", epcis=[perimeter.epci])  # La Bourgogne, Tourcoing: far away, not drawn
    place = PlaceFactory(
        name="Espace ressource Fives",
        slug="espace-ressource-fives",
        street_address="12 rue Pierre Legrand",
        postal_code="59800",
        commune=perimeter.lille,
        latitude=50.632626,
        longitude=3.091466,
        qpv=qpv,
        opening_hours="Lundi au vendredi, 9 h – 12 h 30",
        step_free_access=True,
        accessible_toilets=False,
        accessibility_notes="Boucle magnétique à l'accueil.",
        labelled=True,
    )
    response = _get(f"/lieux/{place.slug}/")
    assert response.status_code == 200
    text = response.text
    for expected in (
        "12 rue Pierre Legrand",
        "59800 Lille",
        "<strong>Secteur Nord Est</strong> (QN05973M)",
        "Lundi au vendredi, 9 h – 12 h 30",
        "Accès de plain-pied ou par ascenseur.",
        "Pas de toilettes accessibles.",
        "Boucle magnétique à l&#x27;accueil.",
        "depuis le 1 juin 2024",
    ):
        assert expected in text
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group(0))
    assert svg.find(f"{SVG}title").text == "Situation de Espace ressource Fives"
    areas = svg.findall(f"{SVG}path[@class='svg-map__area']")
    assert [a.get("id") for a in areas] == ["carte-lieu-QN05973M"]
    assert len(svg.findall(f"{SVG}g[@class='svg-map__marker']")) == 1


def test_detail_without_coordinates_has_no_map(perimeter):
    place = PlaceFactory(commune=perimeter.lille)
    response = _get(f"/lieux/{place.slug}/")
    assert response.status_code == 200
    assert "<svg" not in response.text.split('id="contenu"')[1]
    assert "La position de ce lieu n'est pas encore renseignée." in response.text


def test_detail_query_count(perimeter, django_assert_num_queries):
    qpv = qpv_from_file("QN05973M", epcis=[perimeter.epci])
    place = PlaceFactory(commune=perimeter.lille, latitude=50.632626, longitude=3.091466, qpv=qpv)
    client = client_on(HOST)
    # tenant, perimeter, place (with commune and QPV), QPV around it
    with django_assert_num_queries(4):
        assert client.get(f"/lieux/{place.slug}/").status_code == 200


def test_a_place_outside_the_perimeter_is_404(perimeter, elsewhere):
    turbine = PlaceFactory(slug="la-turbine", commune=elsewhere)
    assert _get("/lieux/la-turbine/").status_code == 404
    assert _get("/lieux/la-turbine/", host="dunkerque.localhost").status_code == 200
    inactive = PlaceFactory(commune=perimeter.lille, is_active=False)
    assert _get(f"/lieux/{inactive.slug}/").status_code == 404
    assert turbine.slug not in _get("/lieux/").text


@pytest.mark.parametrize("path", ["/lieux/", "/lieux/carte/", "/lieux/un-lieu/"])
def test_the_national_portal_has_no_places_pages(perimeter, path):
    PlaceFactory(slug="un-lieu", commune=perimeter.lille)
    assert client_on("localhost").get(path).status_code == 404


def test_main_navigation_links_to_places_on_fabrique_portals_only(fabrique):
    assert '<a href="/lieux/"' in _get("/").text
    assert '<a href="/lieux/"' not in client_on("localhost").get("/").text
    assert re.search(r'<a href="/lieux/"\s+aria-current="page">Lieux</a>', _get("/lieux/carte/").text)


# -------------------------------------------------------------------------------- map
def test_map_draws_one_path_per_perimeter_qpv_and_one_marker_per_place(perimeter, elsewhere):
    hem = CommuneFactory(insee="99299", name="Hem", epci=perimeter.epci, latitude=50.65509, longitude=3.19271)
    tourcoing = CommuneFactory(insee="99599", name="Tourcoing", epci=perimeter.epci)
    codes = ["QN05969M", "QN05973M", "QN05981M", "QN05985M"]
    qpvs = {code: qpv_from_file(code, epcis=[perimeter.epci]) for code in codes}
    qpv_from_file("QN05960M", epcis=[elsewhere.epci])  # Dunkerque: another perimeter
    PlaceFactory(name="Espace Hem", commune=hem, latitude=50.659929, longitude=3.191383, qpv=qpvs["QN05969M"])
    PlaceFactory(name="Espace Bourgogne", commune=tourcoing, latitude=50.73881, longitude=3.180713)
    PlaceFactory(name="Espace Fives", commune=perimeter.lille, latitude=50.632626, longitude=3.091466)
    PlaceFactory(name="Sans position", commune=perimeter.lille)
    PlaceFactory(name="La Turbine", commune=elsewhere, latitude=51.0167, longitude=2.3083)

    response = _get("/lieux/carte/")
    assert response.status_code == 200
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", response.text, re.S).group(0))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text.startswith("Carte des quartiers prioritaires et des lieux d'accueil")
    assert "4 quartiers prioritaires" in svg.find(f"{SVG}desc").text
    areas = svg.findall(f"{SVG}path[@class='svg-map__area']")
    assert sorted(a.get("id").removeprefix("carte-perimetre-") for a in areas) == codes
    assert all(a.find(f"{SVG}title").text for a in areas)
    markers = [m.find(f"{SVG}title").text for m in svg.findall(f"{SVG}g[@class='svg-map__marker']")]
    # Numbered as in the list beside the map (alphabetical); the place without position is listed, not drawn.
    assert markers == ["1. Espace Bourgogne", "2. Espace Fives", "3. Espace Hem"]
    text = response.text
    assert "4 quartiers prioritaires" in text
    assert "4 lieux d'accueil" in text
    assert "position non renseignée, absent de la carte" in text
    assert "QN05960M" not in text
    assert "La Turbine" not in text
    assert len(text) < 120_000


def test_map_of_an_empty_perimeter_says_so(fabrique):
    response = _get("/lieux/carte/")
    assert response.status_code == 200
    assert "<svg" not in response.text.split('id="contenu"')[1]
    assert "pas encore de quartier prioritaire ni de lieu" in response.text


@pytest.mark.parametrize("rows", [1, 30])
def test_map_query_count_does_not_grow_with_rows(perimeter, rows, django_assert_num_queries):
    qpvs = [qpv_from_file(code, epcis=[perimeter.epci]) for code in ("QN05969M", "QN05981M")]
    for i in range(rows):
        PlaceFactory(commune=perimeter.roubaix, latitude=50.674 + i / 10000, longitude=3.187, qpv=qpvs[i % 2])
    client = client_on(HOST)
    # tenant, perimeter, QPV with their outlines, places (with commune and QPV)
    with django_assert_num_queries(4):
        response = client.get("/lieux/carte/")
    assert response.text.count('class="svg-map__marker"') == rows


def test_names_are_escaped_in_the_list_the_detail_and_the_map(perimeter):
    hostile = '<script>alert("x")</script>'
    qpv = qpv_from_file("QN05981M", epcis=[perimeter.epci])
    qpv.name = hostile
    qpv.save()
    place = PlaceFactory(name=hostile, commune=perimeter.roubaix, latitude=50.674021, longitude=3.187304, qpv=qpv)
    for path in ("/lieux/", f"/lieux/{place.slug}/", "/lieux/carte/"):
        text = _get(path).text
        assert "<script>alert" not in text, path
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text, path
