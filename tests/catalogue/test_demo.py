"""The demo catalogue: idempotent, marked demo, attached to the demo Fabriques and places."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accompaniment.catalogue.demo import DEMO_AIDS, DEMO_STRUCTURES
from accompaniment.catalogue.models import AidScheme, Offer, Permanence, Structure
from accompaniment.catalogue.selectors import aid_schemes_reaching, structures_serving
from fabrique.models import Fabrique, Organisation

pytestmark = pytest.mark.django_db

MODELS = (Structure, Offer, Permanence, AidScheme, Organisation)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _seed(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_the_demo_catalogue_is_idempotent_and_marked_demo(settings):
    _seed(settings)
    first = _counts()
    _seed(settings)
    assert _counts() == first
    assert first["Structure"] == len(DEMO_STRUCTURES)
    assert first["AidScheme"] == len(DEMO_AIDS)
    assert not Structure.objects.filter(is_demo=False).exists()
    assert not AidScheme.objects.filter(is_demo=False).exists()
    # Every figure we have not checked is flagged; every aid links to its source but the local ones.
    assert AidScheme.objects.filter(is_illustrative=True).count() >= 8


def test_bge_reuses_the_organisation_of_the_demo_accounts(settings):
    _seed(settings)
    assert Organisation.objects.filter(name="BGE Hauts-de-France").count() == 1
    bge = Structure.objects.get(slug="bge-hauts-de-france")
    assert bge.organisation.memberships.filter(role="structure_manager").exists()


def test_each_fabrique_has_its_local_actors_and_the_national_aids(settings):
    _seed(settings)
    mel = Fabrique.objects.get(slug="mel")
    nancy = Fabrique.objects.get(slug="grand-nancy")
    mel_structures = set(structures_serving(mel).values_list("slug", flat=True))
    assert {"bge-hauts-de-france", "initiative-lille-metropole-nord", "nord-actif", "cci-grand-lille"} <= mel_structures
    assert "alexis-lorraine" not in mel_structures
    assert "bge-hauts-de-france" not in set(structures_serving(nancy).values_list("slug", flat=True))
    assert {"acre", "microcredit-adie", "pret-honneur-initiative-lille-metropole-nord", "concours-open-cite"} <= set(
        aid_schemes_reaching(mel).values_list("slug", flat=True)
    )
    nancy_aids = set(aid_schemes_reaching(nancy).values_list("slug", flat=True))
    assert "acre" in nancy_aids
    assert "concours-open-cite" not in nancy_aids


def test_permanences_at_the_demo_places(settings, geography):
    _seed(settings)
    first = _counts()
    assert first["Permanence"] >= 10
    assert Permanence.objects.filter(
        structure__slug="entreprendre-ensemble-la-turbine", place__slug="dunkerque-la-turbine"
    ).exists()
    assert Structure.objects.get(slug="initiative-lens-lievin").commune.insee == "62498"
    _seed(settings)
    assert _counts() == first
