"""The national portal's home page, listing every active Fabrique."""

from __future__ import annotations

from django.utils.html import escape

from bench.fixtures import NATIONAL_FABRIQUES, NATIONAL_HOST, ensure_national_fabriques, national_fabrique_name
from bench.scenario import Scenario, SqlParams


def list_query() -> tuple[str, SqlParams]:
    """The page's main query, as the ORM sends it (the page also prefetches hosts and perimeters)."""
    from fabrique.models import Fabrique

    return Fabrique.objects.active().query.sql_with_params()


SCENARIO = Scenario(
    name="national",
    host=NATIONAL_HOST,
    paths=("/",),
    description=f"National home page listing {NATIONAL_FABRIQUES} Fabriques",
    expect_text=escape(national_fabrique_name(NATIONAL_FABRIQUES)),
    setup=ensure_national_fabriques,
    sql_baseline=list_query,
)
