"""The health check that load balancers poll: one `SELECT 1` and a broker ping, no tenant lookup."""

from bench.fixtures import NATIONAL_HOST
from bench.scenario import Scenario

SCENARIO = Scenario(
    name="healthz",
    host=NATIONAL_HOST,
    paths=("/healthz",),
    description="Health check (database SELECT 1 + broker ping)",
    expect_text='"database": "ok"',
)
