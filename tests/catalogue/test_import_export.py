"""Import and export of the catalogue (CSV, XLSX): validation report, natural key, round trip."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accompaniment.catalogue import services
from accompaniment.catalogue.exporting import AID_HEADERS, catalogue_xlsx
from accompaniment.catalogue.importing import ImportPolicy, catalogue_import
from accompaniment.catalogue.models import AidScheme, Structure
from tests.conftest import client_on
from tests.factories import AidSchemeFactory, CommuneFactory, EPCIFactory, StructureFactory

pytestmark = pytest.mark.django_db

PLATFORM = ImportPolicy()
HEADER = "identifiant;nom;nature;en bref;montant minimum;montant maximum;couverture;zones couvertes;étapes;réservé QPV"


def _csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


GOOD_ROWS = (
    "pret-test;Prêt d'honneur test;honour_loan;Un prêt à taux zéro.;1000;8000;national;;financing|creation;non",
    "bourse-test;Bourse test;Subvention;Une bourse.;;3000;national;;;oui",
)


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_are_kept():
    content = _csv(
        GOOD_ROWS[0],
        "mauvais-montant;Aide;grant;Résumé;abc;;national;;;non",
        GOOD_ROWS[1],
        "mauvaise-nature;Aide;cadeau;Résumé;;;national;;;non",
        "montants-inverses;Aide;grant;Résumé;5000;100;national;;;non",
    )
    report = catalogue_import(content=content, filename="aides.csv", policy=PLATFORM)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert report.errors[0] == ("ligne 3", "colonne « montant minimum » : « abc » n'est pas un nombre.")
    assert report.errors[1][0] == "ligne 5"
    assert "« cadeau » n'est pas une valeur possible" in report.errors[1][1]
    assert report.errors[2][0] == "ligne 6"
    assert "montant maximum doit être supérieur" in report.errors[2][1]
    assert set(AidScheme.objects.values_list("slug", flat=True)) == {"pret-test", "bourse-test"}
    aid = AidScheme.objects.get(slug="bourse-test")
    assert aid.kind == AidScheme.Kind.GRANT
    assert aid.requires_qpv_residence
    assert aid.amount_max == Decimal(3000)


def test_a_reimport_updates_rather_than_duplicates():
    catalogue_import(content=_csv(*GOOD_ROWS), filename="aides.csv", policy=PLATFORM)
    changed = GOOD_ROWS[1].replace(";3000;", ";4000;")
    report = catalogue_import(content=_csv(GOOD_ROWS[0], changed), filename="aides.csv", policy=PLATFORM)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 1, 1, [])
    assert AidScheme.objects.count() == 2
    assert AidScheme.objects.get(slug="bourse-test").amount_max == Decimal(4000)


def test_a_dry_run_counts_but_writes_nothing():
    report = catalogue_import(content=_csv(*GOOD_ROWS), filename="aides.csv", policy=PLATFORM, dry_run=True)
    assert report.created == 2
    assert report.ok
    assert "rien n'a été enregistré" in report.summary()
    assert not AidScheme.objects.exists()


def test_a_duplicate_slug_in_the_file_is_reported():
    report = catalogue_import(content=_csv(GOOD_ROWS[0], GOOD_ROWS[0]), filename="aides.csv", policy=PLATFORM)
    assert report.created == 1
    assert report.errors == [("ligne 3", "identifiant « pret-test » déjà présent plus haut dans le fichier.")]


def test_unknown_headers_and_broken_files_are_reported():
    report = catalogue_import(content=b"a,b\n1,2\n", filename="x.csv", policy=PLATFORM)
    assert "en-têtes non reconnus" in report.errors[0][1]
    report = catalogue_import(content=b"not a zip", filename="x.xlsx", policy=PLATFORM)
    assert report.errors == [("fichier", "le classeur XLSX est illisible.")]
    report = catalogue_import(content="é".encode("latin-1"), filename="x.csv", policy=PLATFORM)
    assert report.errors == [("fichier", "le fichier n'est pas encodé en UTF-8.")]


def test_structures_are_imported_with_their_organisation(fabrique):
    commune = CommuneFactory(insee="59350")
    content = (
        "identifiant,nom,réseau,SIRET,commune,Fabriques,active\n"
        f"adie-test,Adie test,adie,73282932000074,59350,{fabrique.slug},oui\n"
        "bge-test,BGE test,bge,12345678901234,,,oui\n"
    ).encode()
    report = catalogue_import(content=content, filename="s.csv", policy=PLATFORM)
    assert report.created == 1
    assert report.errors[0][0] == "ligne 3"
    assert "SIRET" in report.errors[0][1]
    structure = Structure.objects.get()
    assert structure.commune == commune
    assert structure.organisation.name == "Adie test"
    assert list(structure.organisation.fabriques.all()) == [fabrique]
    assert Structure.objects.count() == 1


def test_territory_staff_import_only_aids_of_their_own_fabrique(fabrique, other_fabrique):
    national = AidSchemeFactory(slug="nationale")
    policy = ImportPolicy(fabrique=fabrique)
    content = _csv(
        "locale;Aide locale;grant;Résumé;;;fabrique;lille;;non",
        "ailleurs;Aide d'ailleurs;grant;Résumé;;;fabrique;dunkerque;;non",
        "nationale;Détournée;grant;Résumé;;;fabrique;lille;;non",
        "nouvelle-nationale;Nationale;grant;Résumé;;;national;;;non",
    )
    report = catalogue_import(content=content, filename="a.csv", policy=policy)
    assert report.created == 1
    assert [where for where, _ in report.errors] == ["ligne 3", "ligne 4", "ligne 5"]
    national.refresh_from_db()
    assert national.name != "Détournée"
    structures = b"identifiant,nom,reseau,r\xc3\xa9seau\nx,X,bge,bge\n"
    assert "plateforme" in catalogue_import(content=structures, filename="s.csv", policy=policy).errors[0][1]


def _catalogue(fabrique):
    epci = EPCIFactory(siren="200093201")
    fabrique.perimeter.add(epci)
    structure = StructureFactory(slug="bge", name="BGE", fabriques=[fabrique], description="=1+1 n'est pas une formule")
    structure.communes_served.add(CommuneFactory(insee="59350", epci=epci))
    services.structure_update(structure=structure, values={}, siret="73282932000074")
    AidSchemeFactory(slug="nationale", honour_loan=True, operator=structure, stages=["financing"], rate_percent=0)
    local = AidSchemeFactory(slug="mel", coverage=AidScheme.Coverage.EPCI, age_max=30, closes_on="2027-12-31")
    local.coverage_epcis.add(epci)
    own = AidSchemeFactory(slug="propre", coverage=AidScheme.Coverage.FABRIQUE, amount_max=Decimal("1234.50"))
    own.coverage_fabriques.add(fabrique)


def test_an_xlsx_export_reimports_without_any_change(fabrique):
    _catalogue(fabrique)
    content = catalogue_xlsx(fabrique)
    report = catalogue_import(content=content, filename="catalogue.xlsx", policy=PLATFORM)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)


def test_a_csv_export_reimports_without_any_change_and_leaves_hidden_entries_out(personas, fabrique):
    _catalogue(fabrique)
    hidden = AidSchemeFactory(slug="masquee")
    services.curation_set(fabrique=fabrique, aid_scheme=hidden, hidden=True, featured=False)
    client = client_on("lille.localhost", personas.territory_staff)
    response = client.get("/pilotage/catalogue/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    assert text.splitlines()[0] == ",".join(AID_HEADERS)
    assert "masquee" not in text
    assert "propre" in text
    report = catalogue_import(content=response.content, filename="aides.csv", policy=PLATFORM)
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 3, [])
    structures = client.get("/pilotage/catalogue/export.csv?type=structures")
    assert "73282932000074" in structures.content.decode()
    report = catalogue_import(content=structures.content, filename="s.csv", policy=PLATFORM)
    assert (report.unchanged, report.errors) == (1, [])


def test_export_and_import_pages_are_for_territory_and_platform_staff(personas, fabrique):
    for persona in ("structure_manager", "holder", "advisor", "funder_staff", "other_fabrique_user"):
        client = client_on("lille.localhost", getattr(personas, persona))
        assert client.get("/pilotage/catalogue/export.xlsx").status_code == 404, persona
        assert client.get("/pilotage/catalogue/import/").status_code == 404, persona
    admin = client_on("lille.localhost", personas.admin)
    assert admin.get("/pilotage/catalogue/export.xlsx").status_code == 200
    assert client_on("lille.localhost").get("/pilotage/catalogue/import/").status_code == 302


def test_the_upload_page_shows_the_report(personas, fabrique):
    client = client_on("lille.localhost", personas.territory_staff)
    upload = SimpleUploadedFile(
        "aides.csv",
        _csv("locale;Aide locale;grant;Résumé;abc;;fabrique;lille;;non", "ok;OK;grant;R;;;fabrique;lille;;"),
    )
    response = client.post("/pilotage/catalogue/import/", {"file": upload})
    assert response.status_code == 200
    assert "1 créée(s)" in response.text
    assert "ligne 2 : colonne « montant minimum » : « abc » n&#x27;est pas un nombre." in response.text
    assert AidScheme.objects.filter(slug="ok").exists()
    bad = client.post("/pilotage/catalogue/import/", {"file": SimpleUploadedFile("aides.pdf", b"%PDF")})
    assert "Choisissez un fichier .csv ou .xlsx." in bad.text


def test_the_import_command(tmp_path):
    path = tmp_path / "aides.csv"
    path.write_bytes(_csv(*GOOD_ROWS))
    out = io.StringIO()
    call_command("import_catalogue", str(path), "--dry-run", stdout=out)
    assert "2 créée(s)" in out.getvalue()
    assert not AidScheme.objects.exists()
    call_command("import_catalogue", str(path), stdout=out)
    assert AidScheme.objects.count() == 2
