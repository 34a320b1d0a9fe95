"""Structure search among the 5,000 structures serving the bench Fabrique."""

from bench.fixtures import BENCH_HOST
from bench.scenario import Scenario
from bench.scenarios.catalogue_search import STRUCTURES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_search_structures",
    host=BENCH_HOST,
    paths=("/structures/?q=ateliers+createurs",),
    description=f"Structure search among {STRUCTURES} structures",
    expect_text="structures",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
