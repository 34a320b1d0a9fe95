"""The bare view on the bench Fabrique's host: middleware stack and tenant lookup, nothing else."""

from bench.fixtures import BENCH_HOST, ensure_bench_fabrique
from bench.scenario import bare_view

SCENARIO = bare_view(BENCH_HOST, name="bare", setup=ensure_bench_fabrique)
