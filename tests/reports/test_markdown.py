"""summary.md: the verdict, the findings worst first, links to the runbook, sparklines."""

from __future__ import annotations

from dataclasses import replace

import pytest

from opscheck.reports import markdown
from tests.reports.helpers import CONTEXT, FINDINGS, finding


def test_markdown_has_the_verdict_and_findings_worst_first(monkeypatch):
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    text = markdown.render(FINDINGS, CONTEXT)
    assert text.startswith("## opscheck: FAIL on simulated (us-east-2, SIMULATED)")
    rows = [line for line in text.splitlines() if line.startswith("| P")]
    assert [row.split(" | ")[0] for row in rows] == ["| P0", "| P0", "| P0", "| P2"]
    assert "Resource exhaustion (out of memory)" in rows[1]
    assert "Immediate (< 5 minutes)" in rows[0] and "< 2 hours" in rows[3]
    assert "inconclusive: `test_alarm`" in text
    assert "(runbook/incident-response.md#2-high-error-rate-p1)" in text
    assert "L4 CTO/CEO (>60 min)" in text


def test_markdown_links_to_the_runbook_at_this_commit_on_github(monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/ops")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    text = markdown.render(FINDINGS, CONTEXT)
    assert "https://github.com/acme/ops/blob/abc123/runbook/incident-response.md#" in text


def test_a_failing_metric_shows_its_trend_as_a_sparkline():
    assert markdown.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert markdown.sparkline([5, 5, 5]) == "▁▁▁"
    rising = finding(
        "test_error_rate", section="high-error-rate", facts=(("series", "0.1,0.1,0.2,12.5"),)
    )
    row = next(
        line for line in markdown.render([rising], CONTEXT).splitlines() if "test_error" in line
    )
    assert "`▁▁▁█` 12.5" in row


@pytest.mark.parametrize(
    ("gate", "heading"),
    [
        (None, "## opscheck: FAIL on "),
        (("P3", "block"), "## opscheck: FAIL on "),
        (("P1", "block"), "## opscheck: BLOCKED (--fail-on p1) on "),
        (("P0", "warn"), "## opscheck: PASS with warnings (--fail-on p0: less severe findings)"),
    ],
)
def test_markdown_heading_says_what_the_gate_decided(gate, heading):
    text = markdown.render(FINDINGS, replace(CONTEXT, gate=gate))
    assert text.startswith(heading)
