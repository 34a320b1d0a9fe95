"""Aid search by facets only (stage and kind ticked) among 50,000 aid schemes."""

from bench.fixtures import BENCH_HOST
from bench.scenario import Scenario
from bench.scenarios.catalogue_search import AID_SCHEMES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_search_facets",
    host=BENCH_HOST,
    paths=("/aides/?etape=financing&nature=honour_loan",),
    description=f"Aid search by stage and kind among {AID_SCHEMES} aid schemes",
    expect_text="aides",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
