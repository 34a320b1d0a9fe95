"""The catalogue fingerprint: every write to what the search reads changes it, whoever writes."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from accompaniment.catalogue import freshness
from accompaniment.catalogue.freshness import catalogue_changed_here, catalogue_changes_compact, catalogue_fingerprint
from accompaniment.catalogue.indexes import AIDS, catalogue_indexes
from accompaniment.catalogue.models import AidScheme, CatalogueChange, CatalogueCuration
from accompaniment.catalogue.tasks import changes_compact
from fabrique.models import FabriqueTarget, Organisation
from tests.factories import (
    AidSchemeFactory,
    CommuneFactory,
    DepartmentFactory,
    EPCIFactory,
    OfferFactory,
    RegionFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _changes_with(write) -> bool:
    before = catalogue_fingerprint()
    write()
    return catalogue_fingerprint() != before


def test_every_table_the_search_reads_changes_the_fingerprint(fabrique):
    region = RegionFactory(code="97")
    department = DepartmentFactory(code="971", region=region)
    epci = EPCIFactory(siren="999910001", department=department)
    aid = AidSchemeFactory(coverage=AidScheme.Coverage.EPCI)
    structure = StructureFactory(fabriques=[fabrique])
    writes = {
        "aid": lambda: AidSchemeFactory(),
        "aid update by SQL": lambda: AidScheme.objects.filter(pk=aid.pk).update(name="Renommée"),
        "aid coverage": lambda: aid.coverage_epcis.add(epci),
        "aid region": lambda: aid.coverage_regions.add(region),
        "aid department": lambda: aid.coverage_departments.add(department),
        "aid Fabrique": lambda: aid.coverage_fabriques.add(fabrique),
        "structure": lambda: StructureFactory(),
        "structure communes": lambda: structure.communes_served.add(CommuneFactory(department=department, epci=epci)),
        "offer": lambda: OfferFactory(structure=structure),
        "curation": lambda: CatalogueCuration.objects.create(fabrique=fabrique, aid_scheme=aid, is_hidden=True),
        "Fabriques served": lambda: Organisation.objects.get(structure=structure).fabriques.clear(),
        "perimeter": lambda: fabrique.perimeter.add(epci),
        "commune": lambda: CommuneFactory(department=department, epci=epci),
        "EPCI": lambda: EPCIFactory(siren="999910002", department=department),
        "department": lambda: DepartmentFactory(code="972", region=region),
        "delete": lambda: aid.delete(),
    }
    assert [name for name, write in writes.items() if not _changes_with(write)] == []
    # What the search does not read leaves it alone.
    assert not _changes_with(lambda: UserFactory())
    assert not _changes_with(
        lambda: FabriqueTarget.objects.create(
            fabrique=fabrique,
            indicator=FabriqueTarget.Indicator.HOLDERS_SUPPORTED,
            value=1100,
            starts_on=datetime.date(2027, 1, 1),
            ends_on=datetime.date(2029, 12, 31),
        )
    )


def test_a_rebuilt_index_follows_a_write_made_in_sql(fabrique):
    aid = AidSchemeFactory(name="Avant")
    index = catalogue_indexes().index(AIDS)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_aidscheme SET is_active = false WHERE id = %s", [aid.pk])
    assert catalogue_indexes().index(AIDS) is not index
    assert catalogue_indexes().index(AIDS).size == 0


def test_one_note_per_transaction(fabrique):
    before = CatalogueChange.objects.count()
    for _ in range(5):
        AidSchemeFactory()
    assert CatalogueChange.objects.count() == before + 1  # the test's one transaction
    assert CatalogueChange.objects.order_by("-id").first().statements >= 5


@pytest.mark.django_db(transaction=True)
def test_another_session_sees_a_change_when_it_commits(settings):
    """The index of another process must not be built from data its fingerprint does not include."""
    database = settings.DATABASES["default"]
    params = {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"],
        "password": database["PASSWORD"] or None,
        "dbname": database["NAME"],
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as other:
        before = catalogue_fingerprint()
        other.execute(
            "INSERT INTO catalogue_aidscheme (name, slug, kind, summary, description, coverage, stages,"
            " project_kinds, requires_qpv_residence, situations, sectors, source_url, is_illustrative,"
            " is_active, is_demo, updated_at) VALUES ('Aide', 'aide-x', 'grant', '', '', 'national', '{}', '{}',"
            " false, '{}', '{}', '', false, true, false, now())"
        )
        assert catalogue_fingerprint() == before  # not committed: nothing to see yet
        other.commit()
        assert catalogue_fingerprint() != before


def test_a_process_rereads_at_most_every_interval_and_at_once_after_its_own_writes(settings, fabrique):
    settings.CATALOGUE_FRESHNESS_RECHECK_MS = 60_000
    catalogue_changed_here()
    first = catalogue_fingerprint()
    AidSchemeFactory()
    assert catalogue_fingerprint() == first  # trusted for a minute
    catalogue_changed_here()  # what the services call on commit
    assert catalogue_fingerprint() != first


def test_old_notes_are_compacted_and_the_newest_kept(fabrique):
    AidSchemeFactory()
    CatalogueChange.objects.create(xact=1, changed_at=timezone.now() - datetime.timedelta(days=3))
    CatalogueChange.objects.create(xact=2, changed_at=timezone.now() - datetime.timedelta(days=2))
    newest = CatalogueChange.objects.create(xact=3, changed_at=timezone.now() - datetime.timedelta(days=2))
    before = catalogue_fingerprint()
    assert changes_compact() == 2  # the task, as beat runs it
    assert CatalogueChange.objects.filter(pk=newest.pk).exists()
    assert CatalogueChange.objects.filter(changed_at__gte=timezone.now() - datetime.timedelta(hours=1)).exists()
    assert catalogue_fingerprint() != before
    assert catalogue_changes_compact() == 0  # idempotent


def test_the_fingerprint_holds_the_day(fabrique, monkeypatch):
    today = timezone.localdate()
    first = catalogue_fingerprint()
    assert first[-1] == today
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + datetime.timedelta(days=1))
    assert freshness.catalogue_fingerprint() != first
