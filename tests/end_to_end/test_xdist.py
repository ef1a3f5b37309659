"""Under pytest-xdist the run reaches the same verdict."""

from __future__ import annotations

from tests.end_to_end.helpers import CATALOG
from tests.helpers import run_checks


def test_xdist_run_reaches_the_same_verdict(tmp_path):
    result = run_checks(tmp_path, "-m", "p0", "-n", "2", "--simulate", "bad-deployment")
    assert result.returncode == 1, result.output
    assert result.named("failed") == set(CATALOG["bad-deployment"].expect_failing)
    assert "likely cause: 1. Failed deployment (bad Docker image)" in result.output
    # A finding says what the check said, not which worker ran it.
    messages = [c.message for c in result.checks.values() if c.outcome == "failed"]
    assert messages and not [m for m in messages if "-- Python" in m], messages
