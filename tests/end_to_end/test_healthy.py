"""The healthy simulated production: every check evaluated, and only what is true fails."""

from __future__ import annotations

from tests.end_to_end.helpers import KNOWN
from tests.helpers import run_checks


def test_healthy_production_passes_every_p0_check(tmp_path):
    result = run_checks(tmp_path, "-m", "p0")
    assert result.returncode == 0, result.output
    assert len(result.checks) >= 8
    assert result.named("passed") == set(result.checks)
    assert "SIMULATED" in result.output


def test_healthy_production_fails_only_what_is_true_of_the_repository(tmp_path):
    result = run_checks(tmp_path)
    assert result.returncode == 1, result.output
    assert result.checks, "no checks ran"
    assert result.named("failed") == KNOWN
    assert result.named("inconclusive") == set()
    assert len(result.named("passed")) == len(result.checks) - len(KNOWN)
    assert "SIMULATED" in result.output
    # Run as a user holding only `python -m opscheck.iam policy`, with moto enforcing it:
    # that policy is enough for every check.
    assert "as arn:aws:iam::123456789012:user/opscheck-readonly" in result.output
