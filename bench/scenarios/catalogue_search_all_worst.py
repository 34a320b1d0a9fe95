"""The aid list with no filter on the worst-case Fabrique: counts and facets over all 50,000 aids."""

from bench.fixtures import WORST_CASE_HOST
from bench.scenario import Scenario
from bench.scenarios.catalogue_search import AID_SCHEMES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_search_all_worst",
    host=WORST_CASE_HOST,
    paths=("/aides/",),
    description=f"Aid list, no filter, on a Fabrique that shows all {AID_SCHEMES} aids",
    expect_text="aides",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
