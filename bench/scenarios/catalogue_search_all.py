"""The aid list with no filter: counts and facets over every aid the bench Fabrique shows."""

from bench.fixtures import BENCH_HOST
from bench.scenario import Scenario
from bench.scenarios.catalogue_search import AID_SCHEMES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_search_all",
    host=BENCH_HOST,
    paths=("/aides/",),
    description=f"Aid list, no filter, among {AID_SCHEMES} aid schemes",
    expect_text="aides",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
