"""A Fabrique's home page, on its own host."""

from django.utils.html import escape

from bench.fixtures import BENCH_HOST, BENCH_NAME, ensure_bench_fabrique
from bench.scenario import Scenario

SCENARIO = Scenario(
    name="home",
    host=BENCH_HOST,
    paths=("/",),
    description="Home page of one Fabrique",
    expect_text=escape(BENCH_NAME),
    setup=ensure_bench_fabrique,
)
