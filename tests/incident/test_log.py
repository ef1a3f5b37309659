"""The record's incident.md: the runbook's incident log and one timeline row per run."""

from __future__ import annotations

from opscheck.incident import lifecycle, log
from tests.incident.helpers import (
    BAD,
    HEALTHY,
    ROLLING_BACK,
    healthy,
    observed,
    outage,
    rolling_back,
)
from tests.reports.helpers import RUNBOOK


def test_the_log_of_a_resolved_incident():
    record = None
    for run in (
        observed(0, outage(), BAD, {"Incident Start": "🔴 INCIDENT: P0 ..."}),
        observed(7, rolling_back(), ROLLING_BACK),
        observed(19, healthy(), HEALTHY),
    ):
        step = lifecycle.advance(record, RUNBOOK, run, name="db", target="simulated")
        assert step is not None
        record = step.record
    text = log.render(record, RUNBOOK)
    assert text.startswith(
        "# Incident db: 1. All ECS Tasks Down on simulated (resolved 2026-11-26 10:49 UTC)"
    )
    assert "- Time of detection: 2026-11-26 10:30 UTC" in text
    assert "- Time of resolution: 2026-11-26 10:49 UTC\n- Duration: 19 min" in text
    assert (
        "  - 10:37 UTC: Rolled back saaspe-production-backend:4 -> saaspe-production-backend:3"
        in text
    )
    rows = [line for line in text.splitlines() if line.startswith("| 2026-11-26")]
    assert [row.split(" | ")[1:3] for row in rows] == [
        ["start", "Investigating"],
        ["update", "Rolling back to :3"],
        ["resolved", "Resolved"],
    ]
    assert rows[0].endswith("| [evidence-0.json](evidence-0.json) |")
    assert "## 10:30 UTC: Incident Start\n```\n🔴 INCIDENT: P0 ...\n```" in text
    assert "## 10:49 UTC: Resolution" in text
    assert "- [ ] Within 1 week (due 2026-12-03 10:49 UTC): Conduct post-mortem" in text


def test_an_open_incident_has_no_resolution_yet():
    step = lifecycle.advance(None, RUNBOOK, observed(0, outage(), BAD), name="db", target="s")
    assert step is not None
    text = log.render(step.record, RUNBOOK)
    assert "(open)" in text.splitlines()[0] and "- Time of resolution: \n" in text
    assert "- [ ] Within 24 hours: Schedule post-mortem, Gather data" in text
