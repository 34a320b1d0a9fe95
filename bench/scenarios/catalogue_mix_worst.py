"""The same mix of searches on the worst-case Fabrique: every one of the 50,000 aids is shown there."""

from bench.fixtures import WORST_CASE_HOST
from bench.scenario import Scenario
from bench.scenarios._catalogue_mix import sequence
from bench.scenarios.catalogue_search import AID_SCHEMES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_mix_worst",
    host=WORST_CASE_HOST,
    paths=sequence,
    description=f"Mix of aid and structure searches on a Fabrique that shows all {AID_SCHEMES} aids",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
