"""Public search of the catalogue: aid schemes (/aides/) and structures (/structures/)."""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass

import pytest
from django.db.models import Q
from django.utils import timezone

from accompaniment.catalogue.models import AidScheme, CatalogueCuration, Permanence, Structure
from accompaniment.catalogue.selectors import aid_schemes_visible_in, structures_visible_in
from accompaniment.vocabulary import Audience, Situation, Stage
from fabrique.models import Fabrique
from territories.models import EPCI, Commune, Department, Region
from tests.conftest import client_on
from tests.factories import (
    AidSchemeFactory,
    CommuneFactory,
    DepartmentFactory,
    EPCIFactory,
    OfferFactory,
    PlaceFactory,
    RegionFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db

HOST = "lille.localhost"
OTHER_HOST = "dunkerque.localhost"
NATIONAL_HOST = "localhost"


@dataclass
class Territory:
    region: Region
    department: Department
    epci: EPCI
    commune: Commune
    other_region: Region
    other_department: Department
    other_epci: EPCI
    other_commune: Commune


# Fictitious codes (region 9x, department 9xx, SIREN 9999…, INSEE 99…): the session may hold
# the official geography.
@pytest.fixture
def territory(fabrique: Fabrique, other_fabrique: Fabrique) -> Territory:
    region = RegionFactory(code="97", name="Région de test")
    department = DepartmentFactory(code="971", name="Département de test", region=region)
    epci = EPCIFactory(siren="999910001", name="Métropole de test", department=department)
    fabrique.perimeter.add(epci)
    other_region = RegionFactory(code="98", name="Autre région")
    other_department = DepartmentFactory(code="981", name="Autre département", region=other_region)
    other_epci = EPCIFactory(siren="999910002", name="Autre agglomération", department=other_department)
    other_fabrique.perimeter.add(other_epci)
    return Territory(
        region=region,
        department=department,
        epci=epci,
        commune=CommuneFactory(insee="99901", name="Roubaix-test", department=department, epci=epci),
        other_region=other_region,
        other_department=other_department,
        other_epci=other_epci,
        other_commune=CommuneFactory(
            insee="99902", name="Dunkerque-test", department=other_department, epci=other_epci
        ),
    )


@pytest.fixture(autouse=True)
def _no_search_cache(settings):
    """Each request computes its page (the cache of rendered regions has its own tests)."""
    settings.CATALOGUE_SEARCH_CACHE_ENTRIES = 0


def _get(path: str, host: str = HOST, **params):
    return client_on(host).get(path, params)


def _titles(response, kind: str = "aides") -> list[str]:
    found = re.findall(rf'<h3 class="card__title">\s*<a href="/{kind}/[^"]+/">([^<]+)</a>', response.text)
    return [html.unescape(title) for title in found]


def _names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


# ------------------------------------------------------------------ full-text search
def test_search_ignores_accents_plurals_and_stop_words(fabrique):
    AidSchemeFactory(name="Prêt d'honneur création", summary="Un prêt à taux zéro pour les créateurs.")
    AidSchemeFactory(name="Microcrédit professionnel", summary="Pour financer le démarrage.")
    assert _titles(_get("/aides/", q="pret honneur")) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="PRÊTS D'HONNEUR")) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="créateur")) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="createurs")) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="microcredit")) == ["Microcrédit professionnel"]
    assert _titles(_get("/aides/", q="garantie")) == []


def test_search_box_operators_phrases_and_stop_words(fabrique):
    AidSchemeFactory(name="Prêt d'honneur création", summary="Pour les créateurs.")
    AidSchemeFactory(name="Garantie d'un prêt", summary="Sur l'honneur du dirigeant.")
    AidSchemeFactory(name="Tiers-lieu solidaire", summary="Un atelier partagé.")
    assert _titles(_get("/aides/", q="pret honneur")) == ["Prêt d'honneur création", "Garantie d'un prêt"]
    assert _titles(_get("/aides/", q='"prêt d\'honneur"')) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="pret -garantie")) == ["Prêt d'honneur création"]
    assert _titles(_get("/aides/", q="garantie or tiers-lieu")) == ["Garantie d'un prêt", "Tiers-lieu solidaire"]
    only_stop_words = _get("/aides/", q="le la des")
    assert _titles(only_stop_words) == []
    assert "Aucune aide ne correspond à cette recherche" in html.unescape(only_stop_words.text)


def test_search_ranks_the_name_above_the_description(fabrique):
    AidSchemeFactory(name="Aide au démarrage", summary="Complète un prêt d'honneur.")
    AidSchemeFactory(name="Prêt d'honneur solidaire", summary="Un prêt personnel.")
    assert _titles(_get("/aides/", q="pret honneur")) == ["Prêt d'honneur solidaire", "Aide au démarrage"]


def test_structure_search(fabrique):
    StructureFactory(
        name="Boutique de gestion", description="Accompagne les créateurs d'entreprise.", fabriques=[fabrique]
    )
    couveuse = StructureFactory(name="Couveuse", description="Hébergement des projets.", fabriques=[fabrique])
    assert _titles(_get("/structures/", q="createur"), "structures") == ["Boutique de gestion"]
    # Found by what it offers too, while the offer is active.
    offer = OfferFactory(structure=couveuse, title="Ateliers du mardi", description="Tester son activité en couveuse.")
    assert _titles(_get("/structures/", q="atelier"), "structures") == ["Couveuse"]
    assert _titles(_get("/structures/", q="couveuse tester"), "structures") == ["Couveuse"]
    assert _titles(_get("/structures/", q='"ateliers du mardi"'), "structures") == ["Couveuse"]
    offer.is_active = False
    offer.save()
    assert _titles(_get("/structures/", q="atelier"), "structures") == []


# ------------------------------------------------------------------ coverage and curation
def test_coverage_rules(fabrique, other_fabrique, territory):
    AidSchemeFactory(name="Nationale")
    AidSchemeFactory(name="Régionale", coverage=AidScheme.Coverage.REGION).coverage_regions.add(territory.region)
    AidSchemeFactory(name="Départementale", coverage=AidScheme.Coverage.DEPARTMENT).coverage_departments.add(
        territory.department
    )
    AidSchemeFactory(name="Intercommunale", coverage=AidScheme.Coverage.EPCI).coverage_epcis.add(territory.epci)
    AidSchemeFactory(name="De la Fabrique", coverage=AidScheme.Coverage.FABRIQUE).coverage_fabriques.add(fabrique)
    AidSchemeFactory(name="Autre région", coverage=AidScheme.Coverage.REGION).coverage_regions.add(
        territory.other_region
    )
    AidSchemeFactory(name="Autre EPCI", coverage=AidScheme.Coverage.EPCI).coverage_epcis.add(territory.other_epci)
    AidSchemeFactory(name="Autre Fabrique", coverage=AidScheme.Coverage.FABRIQUE).coverage_fabriques.add(other_fabrique)
    # A region coverage listed without the matching EPCI is not enough for another coverage kind.
    AidSchemeFactory(name="Mal saisie", coverage=AidScheme.Coverage.NATIONAL, is_active=False)
    today = timezone.localdate()
    AidSchemeFactory(name="Close", closes_on=today - datetime.timedelta(days=1))
    AidSchemeFactory(name="Pas encore ouverte", opens_on=today + datetime.timedelta(days=1))
    AidSchemeFactory(name="Ouverte jusqu'à ce soir", closes_on=today)
    assert _names(aid_schemes_visible_in(fabrique)) == {
        "Nationale",
        "Régionale",
        "Départementale",
        "Intercommunale",
        "De la Fabrique",
        "Ouverte jusqu'à ce soir",
    }
    assert _names(aid_schemes_visible_in(other_fabrique)) == {
        "Nationale",
        "Autre région",
        "Autre EPCI",
        "Autre Fabrique",
        "Ouverte jusqu'à ce soir",
    }
    # The national portal shows the national aids only.
    assert _names(aid_schemes_visible_in(None)) == {"Nationale", "Ouverte jusqu'à ce soir"}


def test_department_of_an_epci_found_through_its_communes(fabrique, territory):
    """An EPCI spanning two departments: an aid of the second one reaches the Fabrique too."""
    second = DepartmentFactory(code="972", name="Département voisin", region=territory.region)
    CommuneFactory(insee="99903", department=second, epci=territory.epci)
    AidSchemeFactory(name="Voisine", coverage=AidScheme.Coverage.DEPARTMENT).coverage_departments.add(second)
    assert "Voisine" in _names(aid_schemes_visible_in(fabrique))


def test_curation_hides_and_features(fabrique, other_fabrique):
    hidden = AidSchemeFactory(name="Masquée")
    featured = AidSchemeFactory(name="Zèbre mise en avant")
    AidSchemeFactory(name="Autre")
    CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=hidden, is_hidden=True)
    CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=featured, is_featured=True)
    assert _titles(_get("/aides/")) == ["Zèbre mise en avant", "Autre"]
    assert "Recommandée par la Fabrique" in _get("/aides/").text
    assert _get(f"/aides/{hidden.slug}/").status_code == 404
    # Curation is per Fabrique.
    assert _titles(_get("/aides/", host=OTHER_HOST)) == ["Autre", "Masquée", "Zèbre mise en avant"]


def test_structures_visible_where_their_organisation_serves(fabrique, other_fabrique):
    StructureFactory(name="Locale", fabriques=[fabrique])
    StructureFactory(name="Des deux", fabriques=[fabrique, other_fabrique])
    StructureFactory(name="Ailleurs", fabriques=[other_fabrique])
    StructureFactory(name="Fermée", fabriques=[fabrique], is_active=False)
    hidden = StructureFactory(name="Masquée", fabriques=[fabrique])
    CatalogueCuration.objects.create(fabrique=fabrique, structure=hidden, is_hidden=True)
    assert _names(structures_visible_in(fabrique)) == {"Locale", "Des deux"}
    assert _names(structures_visible_in(other_fabrique)) == {"Des deux", "Ailleurs"}
    assert _names(structures_visible_in(None)) == {"Locale", "Des deux", "Ailleurs", "Masquée"}
    assert _titles(_get("/structures/"), "structures") == ["Des deux", "Locale"]


# ------------------------------------------------------------------ facets and counts
def _count(response, option_id: str) -> int:
    match = re.search(rf'id="{option_id}_n"[^>]*>\((\d+)', response.text)
    assert match, option_id
    return int(match.group(1))


def test_aid_facets_filter_and_count_with_the_other_groups(fabrique):
    AidSchemeFactory(name="Prêt A", honour_loan=True, stages=[Stage.FINANCING])
    AidSchemeFactory(name="Prêt B", honour_loan=True, stages=[Stage.FINANCING, Stage.CREATION], qpv_only=True)
    AidSchemeFactory(name="Subvention", stages=[Stage.CREATION], situations=[Situation.RSA])
    response = _get("/aides/", nature="honour_loan")
    assert _titles(response) == ["Prêt A", "Prêt B"]
    # Counts of the "nature" group ignore its own choice; the others follow it.
    assert _count(response, "id_nature_honour_loan") == 2
    assert _count(response, "id_nature_grant") == 1
    assert _count(response, "id_etape_financing") == 2
    assert _count(response, "id_etape_creation") == 1
    assert _count(response, "id_public_qpv") == 1
    assert _count(response, "id_public_tous") == 1
    # Several values in a group: either; two groups: both.
    assert _titles(_get("/aides/", nature=["honour_loan", "grant"], etape="creation")) == ["Prêt B", "Subvention"]
    assert _titles(_get("/aides/", public="qpv")) == ["Prêt B"]
    assert _titles(_get("/aides/", public="tous")) == ["Prêt A"]
    # Open to job seekers: those with no situation condition.
    assert _titles(_get("/aides/", situation="job_seeker")) == ["Prêt A", "Prêt B"]
    assert _titles(_get("/aides/", situation="rsa")) == ["Prêt A", "Prêt B", "Subvention"]


def test_amount_range_overlaps(fabrique):
    AidSchemeFactory(name="Petite", amount_min=500, amount_max=2000)
    AidSchemeFactory(name="Grande", amount_min=5000, amount_max=50000)
    AidSchemeFactory(name="Plafonnée", amount_max=8000)
    AidSchemeFactory(name="Sans montant")
    assert _titles(_get("/aides/", montant_min="3000")) == ["Grande", "Plafonnée"]
    assert _titles(_get("/aides/", montant_max="1000")) == ["Petite", "Plafonnée"]
    assert _titles(_get("/aides/", montant_min="1000", montant_max="6000")) == ["Grande", "Petite", "Plafonnée"]


def test_commune_filter_keeps_aids_covering_it(fabrique, territory):
    AidSchemeFactory(name="Nationale")
    AidSchemeFactory(name="Ici", coverage=AidScheme.Coverage.EPCI).coverage_epcis.add(territory.epci)
    AidSchemeFactory(name="Département", coverage=AidScheme.Coverage.DEPARTMENT).coverage_departments.add(
        territory.department
    )
    AidSchemeFactory(name="Fabrique", coverage=AidScheme.Coverage.FABRIQUE).coverage_fabriques.add(fabrique)
    assert _titles(_get("/aides/", commune="99901")) == ["Département", "Fabrique", "Ici", "Nationale"]
    # The Fabrique's communes are a list; a commune of another territory is refused, in French.
    page = html.unescape(_get("/aides/").text)
    assert '<select name="commune"' in page
    assert '<option value="99901">Roubaix-test</option>' in page
    assert "99902" not in page
    elsewhere = html.unescape(_get("/aides/", commune="99902").text)
    assert "Choisissez une commune du territoire de la Fabrique." in elsewhere
    assert _titles(_get("/aides/", commune="99902")) == ["Département", "Fabrique", "Ici", "Nationale"]
    # On the national portal, any commune by its INSEE code: what reaches it among national aids.
    assert _titles(_get("/aides/", host=NATIONAL_HOST, commune="99902")) == ["Nationale"]
    assert 'name="commune"' in _get("/aides/", host=NATIONAL_HOST).text


def test_structure_facets(fabrique, territory):
    bge = StructureFactory(name="BGE", network=Structure.Network.BGE, fabriques=[fabrique])
    adie = StructureFactory(name="Adie", network=Structure.Network.ADIE, fabriques=[fabrique])
    StructureFactory(name="Couveuse", network=Structure.Network.INCUBATOR, fabriques=[fabrique])
    OfferFactory(structure=bge, theme="training", stages=[Stage.EMERGENCE], audiences=[Audience.QPV_RESIDENTS])
    OfferFactory(structure=bge, theme="coaching", stages=[Stage.STRUCTURING])
    OfferFactory(structure=adie, theme="financing", stages=[Stage.FINANCING], audiences=[Audience.RSA_RECIPIENTS])
    adie.communes_served.add(territory.commune)
    response = _get("/structures/", theme="training")
    assert _titles(response, "structures") == ["BGE"]
    assert _count(response, "id_theme_training") == 1
    assert _count(response, "id_theme_financing") == 1
    assert _count(response, "id_reseau_bge") == 1
    assert _count(response, "id_reseau_adie") == 0
    assert _titles(_get("/structures/", etape="financing"), "structures") == ["Adie"]
    assert _titles(_get("/structures/", public="qpv_residents"), "structures") == ["BGE"]
    assert _titles(_get("/structures/", reseau=["bge", "incubator"]), "structures") == ["BGE", "Couveuse"]
    assert _titles(_get("/structures/", commune="99901"), "structures") == ["Adie"]


# ------------------------------------------------------------------ sorting and pagination
def test_sorting(fabrique):
    old = AidSchemeFactory(name="Ancienne", amount_max=1000)
    AidSchemeFactory(name="Bourse", amount_max=30000)
    AidSchemeFactory(name="Concours")
    AidScheme.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=30))
    assert _titles(_get("/aides/", tri="nom")) == ["Ancienne", "Bourse", "Concours"]
    assert _titles(_get("/aides/", tri="montant")) == ["Bourse", "Ancienne", "Concours"]
    assert _titles(_get("/aides/", tri="recent"))[-1] == "Ancienne"


def test_pagination_keeps_the_parameters(fabrique):
    for number in range(25):
        AidSchemeFactory(name=f"Prêt d'honneur {number:02d}", honour_loan=True)
    AidSchemeFactory(name="Subvention")
    response = _get("/aides/", q="pret", nature="honour_loan")
    assert len(_titles(response)) == 20
    assert "25 aides" in response.text
    assert "?q=pret&amp;nature=honour_loan&amp;page=2" in response.text
    second = _get("/aides/", q="pret", nature="honour_loan", page="2")
    assert len(_titles(second)) == 5


# ------------------------------------------------------------------ htmx and no-JavaScript paths
def test_full_page_without_javascript(fabrique):
    AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    response = _get("/aides/", q="honneur")
    text = html.unescape(response.text)
    assert "<html" in text
    assert 'method="get"' in text
    assert 'action="/aides/"' in text
    assert 'hx-get="/aides/"' in text
    assert 'hx-target="#resultats"' in text
    assert 'hx-push-url="true"' in text
    assert 'role="status"' in text
    assert "<legend>Nature de l'aide</legend>" in text
    assert _titles(response) == ["Prêt d'honneur"]


def test_htmx_gets_the_results_partial_with_new_counts(fabrique):
    AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    AidSchemeFactory(name="Subvention")
    response = client_on(HOST).get("/aides/", {"nature": "grant"}, HTTP_HX_REQUEST="true")
    text = response.text
    assert "<html" not in text
    assert "<form" not in text
    assert _titles(response) == ["Subvention"]
    assert 'id="nombre-resultats"' in text
    assert 'hx-swap-oob="innerHTML"' in text
    assert re.search(r'id="id_nature_honour_loan_n"\s+hx-swap-oob="true">\(1', text)
    structures = client_on(HOST).get("/structures/", HTTP_HX_REQUEST="true").text
    assert "<html" not in structures
    assert 'id="nombre-resultats"' in structures


# ------------------------------------------------------------------ bad parameters
@pytest.mark.parametrize(
    "params",
    [
        {"montant_min": "abc"},
        {"montant_max": "1e99"},
        {"tri": "prix"},
        {"etape": "inconnue"},
        {"public": "x"},
        {"commune": "<script>"},
        {"page": "zzz"},
        {"q": "'\" & | ! :*"},
        {"q": "a" * 2000},
    ],
)
def test_bad_parameters_are_explained_or_ignored(fabrique, params):
    AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    response = _get("/aides/", **params)
    assert response.status_code == 200
    if set(params) - {"page", "q"}:
        assert "Certains critères n'ont pas été compris" in response.text
    structures = _get("/structures/", **params)
    assert structures.status_code == 200


def test_a_long_search_text_costs_one_query_for_its_words_and_is_bounded(fabrique, django_assert_num_queries):
    AidSchemeFactory(name="Prêt d'honneur", summary="Pour les créateurs de Roubaix.")
    client = client_on(HOST)
    client.get("/aides/")  # the index and the portal's view, built
    words = "pret honneur createurs roubaix lille tourcoing jeunes femmes artisans commerce"
    # Tenant, fingerprint, the text's tsquery, the postings of its ten words (one query).
    with django_assert_num_queries(4):
        response = client.get("/aides/", {"q": words})
    assert response.status_code == 200
    assert _titles(response) == []
    too_long = html.unescape(client.get("/aides/", {"q": "prêt " * 60}).text)
    assert "Assurez-vous que cette valeur comporte au plus 200 caractères" in too_long
    assert 'maxlength="200"' in too_long
    assert _titles(client.get("/aides/", {"q": "prêt " * 60})) == ["Prêt d'honneur"]  # searched without it


def test_bad_amount_gives_a_french_message(fabrique):
    AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    text = html.unescape(_get("/aides/", montant_min="abc").text)
    assert "Saisissez un nombre." in text
    assert _titles(_get("/aides/", montant_min="abc")) == ["Prêt d'honneur"]


# ------------------------------------------------------------------ details
def test_aid_detail(fabrique, territory):
    operator = StructureFactory(name="Initiative Test", fabriques=[fabrique])
    aid = AidSchemeFactory(
        name="Prêt d'honneur Initiative",
        honour_loan=True,
        operator=operator,
        duration_months_max=60,
        coverage=AidScheme.Coverage.DEPARTMENT,
        requires_qpv_residence=True,
        age_min=18,
        stages=[Stage.FINANCING],
        is_illustrative=True,
        source_url="https://www.initiative-france.fr/",
        checked_on=datetime.date(2026, 10, 1),
    )
    aid.coverage_departments.add(territory.department)
    text = html.unescape(_get(f"/aides/{aid.slug}/").text).replace("\xa0", "&nbsp;")
    assert "De 1&nbsp;000&nbsp;€ à 8&nbsp;000&nbsp;€" in text
    assert "0 % (sans intérêts)" in text
    assert "jusqu'à 60 mois" in text
    assert f'href="/structures/{operator.slug}/"' in text
    assert "Département : Département de test (971)." in text
    assert "Réservée aux habitants des quartiers prioritaires" in text
    assert "À partir de 18 ans." in text
    assert "Financement" in text
    assert "Montants indicatifs" in text
    assert "vérifiée le 1 octobre 2026" in text


def test_structure_detail(fabrique, territory):
    structure = StructureFactory(name="BGE Test", fabriques=[fabrique], email="contact@bge.test")
    OfferFactory(structure=structure, title="Atelier « Créer »", theme="training")
    OfferFactory(structure=structure, title="Suivi individuel", theme="coaching")
    here = PlaceFactory(name="Espace ressource", commune=territory.commune)
    there = PlaceFactory(name="Lieu lointain", commune=territory.other_commune)
    Permanence.objects.create(structure=structure, place=here, schedule="Mardi matin")
    Permanence.objects.create(structure=structure, place=there, schedule="Jeudi")
    aid = AidSchemeFactory(name="Prêt BGE", operator=structure)
    text = html.unescape(_get(f"/structures/{structure.slug}/").text)
    assert "Formation et ateliers" in text
    assert "Accompagnement individuel" in text
    assert f'href="/lieux/{here.slug}/"' in text
    assert f'href="/lieux/{there.slug}/"' not in text
    assert "Lieu lointain" in text
    assert f'href="/aides/{aid.slug}/"' in text
    assert "mailto:contact@bge.test" in text


def test_details_of_another_fabrique_are_404(fabrique, other_fabrique):
    theirs = AidSchemeFactory(coverage=AidScheme.Coverage.FABRIQUE)
    theirs.coverage_fabriques.add(other_fabrique)
    their_structure = StructureFactory(fabriques=[other_fabrique])
    assert _get(f"/aides/{theirs.slug}/", host=OTHER_HOST).status_code == 200
    assert _get(f"/aides/{theirs.slug}/").status_code == 404
    assert _get(f"/structures/{their_structure.slug}/", host=OTHER_HOST).status_code == 200
    assert _get(f"/structures/{their_structure.slug}/").status_code == 404


def test_national_portal(fabrique):
    national = AidSchemeFactory(name="ACRE")
    local = AidSchemeFactory(name="Locale", coverage=AidScheme.Coverage.FABRIQUE)
    local.coverage_fabriques.add(fabrique)
    structure = StructureFactory(name="Adie", fabriques=[fabrique])
    assert _titles(_get("/aides/", host=NATIONAL_HOST)) == ["ACRE"]
    assert _get(f"/aides/{national.slug}/", host=NATIONAL_HOST).status_code == 200
    assert _get(f"/aides/{local.slug}/", host=NATIONAL_HOST).status_code == 404
    assert _titles(_get("/structures/", host=NATIONAL_HOST), "structures") == ["Adie"]
    assert _get(f"/structures/{structure.slug}/", host=NATIONAL_HOST).status_code == 200


# ------------------------------------------------------------------ cache
def test_search_regions_are_kept_per_portal_and_query_and_any_write_shows_at_once(
    fabrique, other_fabrique, settings, django_assert_num_queries
):
    settings.CATALOGUE_SEARCH_CACHE_ENTRIES = 100
    AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    AidSchemeFactory(name="Subvention")
    assert _titles(_get("/aides/")) == ["Prêt d'honneur", "Subvention"]
    assert _get("/aides/")["X-Catalogue-Cache"] == "hit"
    assert _get("/aides/", tri="nom")["X-Catalogue-Cache"] == "miss"
    assert _get("/aides/", host=OTHER_HOST)["X-Catalogue-Cache"] == "miss"
    # The htmx partial has its own entry.
    partial = client_on(HOST).get("/aides/", {"tri": "nom"}, HTTP_HX_REQUEST="true")
    assert partial["X-Catalogue-Cache"] == "miss"
    assert "<html" not in partial.text
    assert 'id="nombre-resultats"' in partial.text
    # A kept region: the tenant lookup and the catalogue fingerprint, nothing else.
    with django_assert_num_queries(2):
        response = client_on(HOST).get("/aides/")
    assert "<html" in response.text
    assert response.text.count('role="search"') == 1
    # Written without the services (a shell, the admin, SQL): shown at once all the same.
    AidSchemeFactory(name="Bourse")
    assert _titles(_get("/aides/")) == ["Bourse", "Prêt d'honneur", "Subvention"]
    AidScheme.objects.filter(name="Subvention").update(name="Allocation")
    assert _titles(_get("/aides/")) == ["Allocation", "Bourse", "Prêt d'honneur"]
    assert _titles(_get("/aides/", host=OTHER_HOST)) == ["Allocation", "Bourse", "Prêt d'honneur"]


def test_a_catalogue_write_shows_at_once_despite_the_cache(fabrique, settings, django_capture_on_commit_callbacks):
    from accompaniment.catalogue import services

    settings.CATALOGUE_SEARCH_CACHE_ENTRIES = 100
    loan = AidSchemeFactory(name="Prêt d'honneur", honour_loan=True)
    AidSchemeFactory(name="Subvention")
    assert _titles(_get("/aides/")) == ["Prêt d'honneur", "Subvention"]
    with django_capture_on_commit_callbacks(execute=True):
        services.curation_set(fabrique=fabrique, aid_scheme=loan, hidden=True, featured=False)
    assert _titles(_get("/aides/")) == ["Subvention"]


# ------------------------------------------------------------------ query counts
@pytest.mark.parametrize("rows", [1, 30])
def test_aid_list_query_count_is_constant(fabrique, django_assert_num_queries, rows):
    operator = StructureFactory(fabriques=[fabrique])
    for _ in range(rows):
        AidSchemeFactory(operator=operator, honour_loan=True)
    client = client_on(HOST)
    # The first search after a change: tenant lookup, catalogue fingerprint, the portal's communes
    # (the commune list), the search text's tsquery, the aid index, what this portal shows, the
    # postings of "pret" and "honneur" (one query), the page's cards (with their operators).
    with django_assert_num_queries(8):
        response = client.get("/aides/", {"q": "pret honneur", "nature": "honour_loan"})
    assert len(_titles(response)) == min(rows, 20)
    # Then a search of known words whose cards are rendered: tenant lookup and fingerprint.
    with django_assert_num_queries(2):
        response = client.get("/aides/", {"q": "pret honneur", "nature": "honour_loan", "montant_min": ""})
    assert len(_titles(response)) == min(rows, 20)
    # Other filters over the same index, no card to render: tenant and fingerprint.
    with django_assert_num_queries(2):
        response = client.get("/aides/", {"nature": "grant", "tri": "recent"})
    assert _titles(response) == []


@pytest.mark.parametrize("rows", [1, 30])
def test_structure_list_query_count_is_constant(fabrique, django_assert_num_queries, rows):
    commune = CommuneFactory()
    for _ in range(rows):
        structure = StructureFactory(fabriques=[fabrique], commune=commune)
        OfferFactory(structure=structure, theme="training")
    client = client_on(HOST)
    # Tenant, fingerprint, the portal's communes, the structure index (structures, then their
    # offers), this portal's structures, the page's cards.
    with django_assert_num_queries(7):
        response = client.get("/structures/", {"theme": "training"})
    assert len(_titles(response, "structures")) == min(rows, 20)
    with django_assert_num_queries(2):
        response = client.get("/structures/", {"theme": "training", "commune": ""})
    assert len(_titles(response, "structures")) == min(rows, 20)


# ------------------------------------------------------------------ facet columns and cache header
def test_facet_columns_follow_every_write_at_once(fabrique):
    """The facet counts read columns PostgreSQL derives from the arrays: an edit shows at once."""
    aid = AidSchemeFactory(name="Prêt", stages=[Stage.FINANCING], situations=[])
    response = _get("/aides/")
    assert _count(response, "id_etape_financing") == 1
    assert _count(response, "id_etape_creation") == 0
    assert _count(response, "id_situation_rsa") == 1  # no condition on the situation: open to all
    assert _count(response, "id_public_tous") == 1
    aid.stages = [Stage.CREATION, Stage.POST_CREATION]
    aid.situations = [Situation.STUDENT]
    aid.save()
    response = _get("/aides/")
    assert _count(response, "id_etape_financing") == 0
    assert _count(response, "id_etape_creation") == 1
    assert _count(response, "id_etape_post_creation") == 1
    assert _count(response, "id_situation_rsa") == 0
    assert _count(response, "id_situation_student") == 1
    assert _count(response, "id_public_tous") == 0
    assert _titles(_get("/aides/", etape="post_creation")) == ["Prêt"]
    assert _titles(_get("/aides/", situation="rsa")) == []


def test_facet_counts_agree_with_the_arrays(fabrique):
    """Every option's count is the number of visible aids whose arrays satisfy it."""
    AidSchemeFactory(stages=[Stage.AWARENESS], situations=[Situation.RSA, Situation.JOB_SEEKER])
    AidSchemeFactory(stages=[Stage.AWARENESS, Stage.CREATION], situations=[], requires_qpv_residence=True)
    AidSchemeFactory(stages=[], situations=[Situation.OTHER], age_max=30)
    response = _get("/aides/")
    visible = aid_schemes_visible_in(fabrique)
    for stage in Stage.values:
        assert _count(response, f"id_etape_{stage}") == visible.filter(stages__contains=[stage]).count()
    for situation in Situation.values:
        expected = visible.filter(Q(situations=[]) | Q(situations__contains=[situation])).count()
        assert _count(response, f"id_situation_{situation}") == expected
    assert _count(response, "id_public_qpv") == 1
    assert _count(response, "id_public_tous") == 0


def test_the_cache_state_is_sent_as_a_header(fabrique, settings):
    settings.CATALOGUE_SEARCH_CACHE_ENTRIES = 0
    assert _get("/aides/")["X-Catalogue-Cache"] == "off"
    settings.CATALOGUE_SEARCH_CACHE_ENTRIES = 100
    assert _get("/structures/", q="rare")["X-Catalogue-Cache"] == "miss"
    assert _get("/structures/", q="rare")["X-Catalogue-Cache"] == "hit"
