"""Saved evidence rebuilds the report with no network."""

from __future__ import annotations

import os

from tests.helpers import run_checks


def test_saved_evidence_rebuilds_the_report_with_no_network(tmp_path):
    """The post-mortem bundle: evidence saved during the incident gives the same report later."""
    saved = tmp_path / "evidence.json"
    live = run_checks(tmp_path / "live", "--simulate", "out-of-memory", f"--save-evidence={saved}")
    assert saved.exists()
    # Any network use during the replay would fail: every proxy points at a closed port.
    offline = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    replay = run_checks(tmp_path / "replay", f"--evidence={saved}", env=offline)
    assert "REPLAY" in replay.output
    assert replay.returncode == live.returncode == 1
    assert replay.named("failed") >= {"test_no_tasks_killed_out_of_memory"}
    assert {n: (c.outcome, c.severity, c.message) for n, c in replay.checks.items()} == {
        n: (c.outcome, c.severity, c.message) for n, c in live.checks.items()
    }
