"""Catalogue management: structure managers (`/gestion/`) and territory staff curation (`/pilotage/catalogue/`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accompaniment.catalogue import services
from accompaniment.catalogue.models import AidScheme, CatalogueCuration, Offer, Structure
from accompaniment.catalogue.selectors import aid_schemes_visible_in
from fabrique.models import Organisation
from tests.conftest import client_on
from tests.factories import AidSchemeFactory, OfferFactory, StructureFactory

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"


@pytest.fixture
def own_structure(personas, fabrique) -> Structure:
    """The structure of the manager's organisation (BGE), serving `fabrique`."""
    return StructureFactory(organisation=personas.structure, name=personas.structure.name, slug="bge-hdf")


@pytest.fixture
def manager(personas, own_structure):
    return client_on(HOST, personas.structure_manager)


# ------------------------------------------------------------------------------ services


def test_structure_create_makes_a_support_actor_organisation_of_the_same_name(fabrique):
    structure = services.structure_create(
        values={"name": "Adie Hauts-de-France", "network": Structure.Network.ADIE},
        siret="73282932000074",
        fabriques=[fabrique],
    )
    organisation = structure.organisation
    assert organisation.kind == Organisation.Kind.SUPPORT_ACTOR
    assert organisation.name == "Adie Hauts-de-France"
    assert structure.slug == "adie-hauts-de-france"
    assert list(organisation.fabriques.all()) == [fabrique]

    services.structure_update(structure=structure, values={"name": "Adie Nord"})
    organisation.refresh_from_db()
    assert organisation.name == "Adie Nord"


def test_structure_create_with_a_bad_siret_writes_nothing():
    with pytest.raises(ValidationError) as error:
        services.structure_create(values={"name": "X", "network": Structure.Network.BGE}, siret="12345678901234")
    assert "SIRET" in str(error.value)
    assert not Structure.objects.exists()
    assert not Organisation.objects.filter(name="X").exists()


def test_aid_scheme_rules_are_checked_in_french():
    with pytest.raises(ValidationError) as error:
        services.aid_scheme_create(
            values={
                "name": "Aide",
                "kind": AidScheme.Kind.GRANT,
                "summary": "…",
                "coverage": AidScheme.Coverage.NATIONAL,
                "amount_min": Decimal(5000),
                "amount_max": Decimal(1000),
            }
        )
    assert "montant maximum doit être supérieur" in str(error.value.message_dict["amount_max"])
    assert not AidScheme.objects.exists()


def test_curation_set_hides_features_and_clears(fabrique):
    aid = AidSchemeFactory()
    assert services.curation_set(fabrique=fabrique, aid_scheme=aid, hidden=True, featured=False).is_hidden
    assert list(aid_schemes_visible_in(fabrique)) == []
    curation = services.curation_set(fabrique=fabrique, aid_scheme=aid, hidden=False, featured=True)
    assert curation.is_featured
    assert not curation.is_hidden
    assert CatalogueCuration.objects.count() == 1
    assert services.curation_set(fabrique=fabrique, aid_scheme=aid, hidden=False, featured=False) is None
    assert not CatalogueCuration.objects.exists()
    with pytest.raises(ValidationError):
        services.curation_set(fabrique=fabrique, aid_scheme=aid, hidden=True, featured=True)


# ----------------------------------------------------------------------- structure managers


def test_a_manager_of_one_structure_lands_on_its_card(manager, own_structure):
    response = manager.get("/gestion/structure/")
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/structure/{own_structure.slug}/"
    assert manager.get(response["Location"]).status_code == 200


def test_a_manager_edits_the_structure_and_the_organisation_follows(manager, own_structure):
    response = manager.post(
        f"/gestion/structure/{own_structure.slug}/",
        {"name": "BGE Lille", "network": "bge", "siret": "732 829 320 00074", "email": "contact@bge.example"},
    )
    assert response.status_code == 302
    own_structure.refresh_from_db()
    own_structure.organisation.refresh_from_db()
    assert own_structure.name == own_structure.organisation.name == "BGE Lille"
    assert own_structure.organisation.siret == "73282932000074"


def test_a_bad_siret_is_refused_in_french_and_nothing_is_written(manager, own_structure):
    response = manager.post(
        f"/gestion/structure/{own_structure.slug}/", {"name": "Autre nom", "network": "bge", "siret": "12345678901234"}
    )
    assert response.status_code == 200
    assert "Ce SIRET n&#x27;est pas valide" in response.text
    own_structure.refresh_from_db()
    assert own_structure.name == "BGE Hauts-de-France"


def test_a_manager_gets_404_for_another_structures_offers_and_aids(manager, personas, fabrique):
    other = StructureFactory(organisation=personas.other_structure, name=personas.other_structure.name)
    offer = OfferFactory(structure=other)
    aid = AidSchemeFactory(operator=other)
    assert manager.get(f"/gestion/structure/{other.slug}/").status_code == 404
    assert manager.get(f"/gestion/offres/{offer.pk}/").status_code == 404
    assert manager.post(f"/gestion/offres/{offer.pk}/", {"title": "pris"}).status_code == 404
    assert manager.get(f"/gestion/aides/{aid.slug}/").status_code == 404
    assert offer.title not in manager.get("/gestion/offres/").text


def test_a_structure_that_does_not_serve_the_fabrique_is_out_of_reach(manager, personas, own_structure, fabrique):
    own_structure.organisation.fabriques.remove(fabrique)
    assert manager.get(f"/gestion/structure/{own_structure.slug}/").status_code == 404


def test_another_fabriques_host_is_404(personas, own_structure, other_fabrique):
    offer = OfferFactory(structure=own_structure)
    client = client_on("dunkerque.localhost", personas.structure_manager)
    assert client.get(f"/gestion/offres/{offer.pk}/").status_code == 404
    assert client.get(f"/gestion/structure/{own_structure.slug}/").status_code == 404


@pytest.mark.parametrize("persona", ["holder", "advisor", "territory_staff", "funder_staff", "other_fabrique_user"])
def test_other_roles_get_404_on_management_pages(personas, own_structure, persona):
    client = client_on(HOST, getattr(personas, persona))
    assert client.get("/gestion/offres/").status_code == 404


def test_a_manager_creates_and_edits_an_offer(manager, own_structure):
    data = {
        "structure": own_structure.pk,
        "title": "Atelier statuts",
        "theme": "training",
        "stages": ["structuring"],
        "audiences": ["women"],
        "is_free": "on",
        "is_active": "on",
    }
    assert manager.post("/gestion/offres/nouvelle/", data).status_code == 302
    offer = Offer.objects.get(title="Atelier statuts")
    assert offer.structure == own_structure
    assert offer.stages == ["structuring"]
    assert manager.post(f"/gestion/offres/{offer.pk}/", {**data, "title": "Atelier choix du statut"}).status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Atelier choix du statut"


def test_a_paying_offer_without_cost_is_refused_in_french(manager, own_structure):
    data = {"structure": own_structure.pk, "title": "Formation", "theme": "training", "is_active": "on"}
    response = manager.post("/gestion/offres/nouvelle/", data)
    assert response.status_code == 200
    assert "Précisez le coût d&#x27;une offre payante." in response.text
    assert not Offer.objects.exists()


def test_a_manager_cannot_attach_an_offer_to_another_structure(manager, personas, own_structure):
    other = StructureFactory(organisation=personas.other_structure, name=personas.other_structure.name)
    data = {"structure": other.pk, "title": "Détournée", "theme": "training", "is_free": "on"}
    response = manager.post("/gestion/offres/nouvelle/", data)
    assert response.status_code == 200
    assert not Offer.objects.exists()


def test_a_manager_creates_an_aid_of_the_fabrique_and_bad_amounts_are_refused(manager, own_structure, fabrique):
    data = {
        "operator": own_structure.pk,
        "name": "Bourse création BGE",
        "kind": "grant",
        "summary": "Une bourse pour démarrer.",
        "coverage": "fabrique",
        "amount_min": "3000",
        "amount_max": "1000",
        "is_active": "on",
    }
    response = manager.post("/gestion/aides/nouvelle/", data)
    assert response.status_code == 200
    assert "Le montant maximum doit être supérieur ou égal au montant minimum." in response.text
    assert not AidScheme.objects.exists()

    assert manager.post("/gestion/aides/nouvelle/", {**data, "amount_max": "5000"}).status_code == 302
    aid = AidScheme.objects.get()
    assert aid.operator == own_structure
    assert list(aid.coverage_fabriques.all()) == [fabrique]
    assert manager.get(f"/gestion/aides/{aid.slug}/").status_code == 200


# ---------------------------------------------------------------------------- curation


def test_territory_staff_hide_an_aid_and_it_is_reported_hidden(personas, fabrique):
    aid = AidSchemeFactory(name="Prêt d'honneur de test")
    client = client_on(HOST, personas.territory_staff)
    assert "Prêt d&#x27;honneur de test" in client.get("/pilotage/catalogue/").text
    response = client.post(f"/pilotage/catalogue/aides/{aid.slug}/", {"choice": "hidden"})
    assert response.status_code == 302
    curation = CatalogueCuration.objects.get(fabrique=fabrique, aid_scheme=aid)
    assert curation.is_hidden
    assert not curation.is_featured
    assert "Masquée" in client.get("/pilotage/catalogue/").text
    client.post(f"/pilotage/catalogue/aides/{aid.slug}/", {"choice": "shown"})
    assert not CatalogueCuration.objects.exists()


def test_featuring_a_structure_with_htmx_returns_the_fragment(personas, fabrique, own_structure):
    client = client_on(HOST, personas.territory_staff)
    response = client.post(
        f"/pilotage/catalogue/structures/{own_structure.slug}/", {"choice": "featured"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Mise en avant" in response.text
    assert CatalogueCuration.objects.get(structure=own_structure).is_featured


def test_an_aid_outside_the_fabrique_cannot_be_curated(personas, fabrique, other_fabrique):
    aid = AidSchemeFactory(coverage=AidScheme.Coverage.FABRIQUE)
    aid.coverage_fabriques.add(other_fabrique)
    client = client_on(HOST, personas.territory_staff)
    assert client.post(f"/pilotage/catalogue/aides/{aid.slug}/", {"choice": "hidden"}).status_code == 404
    assert not CatalogueCuration.objects.exists()


def test_managers_cannot_curate(manager, own_structure):
    assert manager.get("/pilotage/catalogue/").status_code == 404


# ------------------------------------------------------------------------ query counts


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_curation_list_queries_do_not_grow_with_rows(personas, fabrique):
    client = client_on(HOST, personas.territory_staff)
    AidSchemeFactory()
    StructureFactory(fabriques=[fabrique])
    one = {url: _queries(client, url) for url in ("/pilotage/catalogue/", "/pilotage/catalogue/?type=structures")}
    for _ in range(15):
        services.curation_set(fabrique=fabrique, aid_scheme=AidSchemeFactory(), hidden=True, featured=False)
        StructureFactory(fabriques=[fabrique])
    assert {url: _queries(client, url) for url in one} == one
    assert "Masquée" in client.get("/pilotage/catalogue/?q=Aide").text


def test_manager_lists_queries_do_not_grow_with_rows(manager, own_structure):
    OfferFactory(structure=own_structure)
    AidSchemeFactory(operator=own_structure)
    one = {url: _queries(manager, url) for url in ("/gestion/offres/", "/gestion/aides/")}
    OfferFactory.create_batch(10, structure=own_structure)
    AidSchemeFactory.create_batch(10, operator=own_structure)
    assert {url: _queries(manager, url) for url in one} == one


def test_curation_list_is_paginated(personas, fabrique):
    AidSchemeFactory.create_batch(55)
    response = client_on(HOST, personas.territory_staff).get("/pilotage/catalogue/?page=2")
    assert response.status_code == 200
    assert "(55)" in response.text
