"""A realistic mix of catalogue searches on the bench Fabrique (~13 % of the 50,000 aids shown).

Popular searches repeated (Zipf), a long tail of first-time ones: the result cache misses as
it would in production (see `_catalogue_mix`). The table's "cache hits" column is measured.
"""

from bench.fixtures import BENCH_HOST
from bench.scenario import Scenario
from bench.scenarios._catalogue_mix import sequence
from bench.scenarios.catalogue_search import AID_SCHEMES, ensure_catalogue

SCENARIO = Scenario(
    name="catalogue_mix",
    host=BENCH_HOST,
    paths=sequence,
    description=f"Mix of aid and structure searches (Zipf + long tail), {AID_SCHEMES} aids, realistic spread",
    setup=ensure_catalogue,
    p95_target_ms=100,
)
