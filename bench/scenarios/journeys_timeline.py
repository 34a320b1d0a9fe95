"""A holder's file with a 200-entry timeline (follow-ups, transitions, referrals, financing,
creation, post-creation checks, walk-ins), read by an advisor of a structure that follows them,
in a Fabrique of 20,000 holders."""

from bench.fixtures import BENCH_HOST
from bench.journeys_data import SESSION_HEADERS, TIMELINE_ENTRIES, ensure_journeys_data
from bench.scenario import Scenario

_holder: list[int] = []


def setup() -> None:
    _holder[:] = [ensure_journeys_data()]


def paths() -> list[str]:
    return [f"/suivi/porteurs/{_holder[0]}/"]


SCENARIO = Scenario(
    name="journeys_timeline",
    host=BENCH_HOST,
    paths=paths,
    description=f"Holder file with a {TIMELINE_ENTRIES}-entry timeline (logged-in advisor)",
    expect_text="Historique",
    setup=setup,
    headers=SESSION_HEADERS,
)
