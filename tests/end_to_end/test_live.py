"""A live target (production's environment file) pointed at an AWS-compatible endpoint."""

from __future__ import annotations

from tests.helpers import run_checks, simulator


def test_live_target_honours_aws_endpoint_url(tmp_path, monkeypatch):
    """Production's environment file, pointed at an AWS-compatible endpoint by AWS_ENDPOINT_URL."""
    sim = simulator()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", sim.aws_url)
        # The simulation lets in only its read-only user (see tests/test_read_only.py).
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sim.credentials["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sim.credentials["aws_secret_access_key"])
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        result = run_checks(tmp_path, "-m", "p0", "--env", "production")
    finally:
        sim.stop()
    assert "LIVE AWS" in result.output
    assert "AWS account 123456789012" in result.output
    assert result.named("failed") == set()
    # production.toml names no health URL: that check is not configured, and says what to add;
    # it does not fail the run.
    assert result.named("inconclusive") == set()
    # Nor does it read the database directly: no [postgres] table.
    assert result.named("not_configured") == {
        "test_health_endpoint_answers",
        "test_postgres_connections_below_limit",
    }
    assert "not configured: no health URL is set: add [app] health_url to production.toml" in (
        result.output
    )
    assert result.returncode == 0
