"""An advisor's caseload (`/suivi/`) in a Fabrique of 20,000 holders, 2,000 followed by their
structure (10,000 follow-ups of theirs, 36,000 of other structures): the default page sorted by
name, and a filtered one sorted by oldest contact (overdue next steps)."""

from bench.fixtures import BENCH_HOST
from bench.journeys_data import FOLLOWED_BY_ADVISOR, HOLDERS, SESSION_HEADERS, ensure_journeys_data
from bench.scenario import Scenario


def setup() -> None:
    ensure_journeys_data()


SCENARIO = Scenario(
    name="journeys_caseload",
    host=BENCH_HOST,
    paths=("/suivi/", "/suivi/?en_retard=on&tri=contact_ancien"),
    description=f"Advisor's caseload: {FOLLOWED_BY_ADVISOR} of {HOLDERS} holders followed, 50 per page (logged in)",
    expect_text="Suivi des porteurs",
    setup=setup,
    headers=SESSION_HEADERS,  # filled by setup with the advisor's session cookie
)
