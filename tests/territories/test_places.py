"""Place services (QPV derived from coordinates on the real outlines) and the demo places."""

import io

import pytest
from django.core.exceptions import ValidationError

from territories import demo
from territories.models import Commune, Place
from territories.places import place_locate, place_update_or_create
from tests.factories import CommuneFactory, DepartmentFactory, EPCIFactory, PlaceFactory, qpv_from_file

pytestmark = pytest.mark.django_db


def test_place_locate_derives_the_qpv_from_the_coordinates():
    hem = CommuneFactory(insee="59299", name="Hem")
    qpv = qpv_from_file("QN05969M", communes=[hem])
    qpv_from_file("QN05981M")  # Nouveau Roubaix, next door
    place = PlaceFactory(commune=hem, latitude=50.659929, longitude=3.191383)
    assert place.qpv is None

    place_locate(place=place)
    place.refresh_from_db()
    assert place.qpv == qpv

    # Moved just outside the QPV (Hem town centre): the QPV is cleared.
    place.latitude, place.longitude = 50.65509, 3.19271
    place.save()
    place_locate(place=place)
    place.refresh_from_db()
    assert place.qpv is None


def test_place_locate_without_coordinates_clears_the_qpv():
    qpv = qpv_from_file("QN05981M")
    place = PlaceFactory(qpv=qpv)
    place_locate(place=place)
    place.refresh_from_db()
    assert place.qpv is None


def test_place_update_or_create_validates_locates_and_is_idempotent():
    roubaix = CommuneFactory(insee="59512", name="Roubaix")
    qpv = qpv_from_file("QN05981M")
    values = {
        "name": "Espace ressource Nouveau Roubaix",
        "kind": Place.Kind.RESOURCE_SPACE,
        "street_address": "1 avenue Alfred Motte",
        "postal_code": "59100",
        "commune": roubaix,
        "latitude": 50.674021,
        "longitude": 3.187304,
    }
    place, created = place_update_or_create(slug="nouveau-roubaix", values=values)
    assert created
    assert place.qpv == qpv
    stamp = place.updated_at

    again, created = place_update_or_create(slug="nouveau-roubaix", values=values)
    assert (again.pk, created) == (place.pk, False)
    again.refresh_from_db()
    assert again.updated_at == stamp  # nothing changed, nothing written

    with pytest.raises(ValidationError):
        place_update_or_create(slug="nouveau-roubaix", values={**values, "labelled_on": "2020-01-01"})
    with pytest.raises(ValueError, match="derived"):
        place_update_or_create(slug="nouveau-roubaix", values={**values, "qpv": qpv})


# ------------------------------------------------------------------------------- demo
def test_demo_places_need_the_geography():
    # The session may have loaded the official geography (tests/conftest.py): take it away here.
    Commune.objects.filter(insee__in={spec.insee for spec in demo.DEMO_PLACES}).delete()
    out = io.StringIO()
    demo.seed(out)
    assert "load_geography" in out.getvalue()
    assert Place.objects.count() == 0


def test_demo_places_lie_in_the_qpv_they_claim_and_reseeding_changes_nothing():
    epci = EPCIFactory()
    for spec in demo.DEMO_PLACES:
        CommuneFactory(insee=spec.insee, department=DepartmentFactory(code=spec.insee[:2]), epci=epci)
    expected = {spec.qpv for spec in demo.DEMO_PLACES if spec.qpv}
    for code in expected:
        qpv_from_file(code, department=DepartmentFactory(code=code[3:5]))

    out = io.StringIO()
    demo.seed(out)
    assert f"{len(demo.DEMO_PLACES)} créés" in out.getvalue()
    located = dict(Place.objects.values_list("slug", "qpv__code"))
    assert located == {spec.slug: spec.qpv for spec in demo.DEMO_PLACES}

    stamps = dict(Place.objects.values_list("slug", "updated_at"))
    demo.seed(io.StringIO())
    assert dict(Place.objects.values_list("slug", "updated_at")) == stamps

    # What the seeds say: 8 espaces ressources in the MEL (4 in Lille), La Turbine, places labelled or not.
    mel = [s for s in demo.DEMO_PLACES if s.slug.startswith("mel-espace-ressource-")]
    assert len(mel) == 8
    assert sum(s.insee == "59350" for s in mel) == 4
    assert Place.objects.filter(slug="dunkerque-la-turbine", kind=Place.Kind.ENTREPRENEURSHIP_HOUSE).exists()
    statuses = set(Place.objects.values_list("label_status", flat=True))
    assert statuses == {"labelled", "candidate", "none"}
