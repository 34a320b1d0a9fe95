"""One module per scenario, each defining `SCENARIO = Scenario(...)` (see bench/scenario.py)."""
