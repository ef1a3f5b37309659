"""The reports a run leaves: their content, not only their existence."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from opscheck.findings import Finding
from opscheck.plugin import incident_start
from opscheck.reports import RunContext, github, incident, markdown, summary
from opscheck.reports.write import write_all
from opscheck.runbook import load as load_runbook
from opscheck.target import load as load_target
from tests.helpers import ROOT

RUNBOOK = replace(
    load_runbook(ROOT / "runbook/incident-response.md"), path="runbook/incident-response.md"
)
TARGET = load_target("simulated", ROOT)
WHEN = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


def finding(check, outcome="failed", section="all-ecs-tasks-down", severity="P0", **extra):
    return Finding(
        nodeid=f"checks/test_x.py::{check}",
        outcome=outcome,
        section=section,
        cause=extra.pop("cause", None),
        kind=extra.pop("kind", "health"),
        severity=severity,
        message=extra.pop("message", f"{check} measured something"),
        **extra,
    )


CONTEXT = RunContext(
    runbook=RUNBOOK,
    target=TARGET,
    account="123456789012",
    caller="arn:aws:sts::123456789012:user/moto",
    started_at=WHEN,
    finished_at=WHEN,
)
FINDINGS = [
    finding("test_running_tasks_meet_desired", message="svc: 0 of 2 tasks running"),
    finding(
        "test_no_tasks_killed_out_of_memory",
        cause="resource-exhaustion",
        evidence=("stopped_tasks",),
    ),
    finding("test_error_rate", section="high-error-rate", severity="P2", message="5xx 7%"),
    finding("test_alarm", outcome="inconclusive", message="alarm x has insufficient data"),
    finding("test_service_is_active", outcome="passed"),
]


def test_summary_json_carries_every_check_in_a_stable_order():
    data = summary.build(list(reversed(FINDINGS)), CONTEXT)
    assert data["schema"] == 1
    assert data["verdict"] == "fail"
    assert data["counts"] == {"passed": 1, "failed": 3, "inconclusive": 1, "not_configured": 0}
    assert data["target"]["account"] == "123456789012" and data["target"]["simulated"] is True
    assert [c["check"] for c in data["checks"]] == [
        "test_alarm",
        "test_no_tasks_killed_out_of_memory",
        "test_running_tasks_meet_desired",
        "test_service_is_active",
        "test_error_rate",
    ]
    oom = data["checks"][1]
    assert oom["cause_text"] == "Resource exhaustion (out of memory)"
    assert oom["anchor"] == "1-all-ecs-tasks-down-p0"
    assert oom["section_title"] == "1. All ECS Tasks Down"
    assert oom["evidence"] == ["stopped_tasks"]
    assert summary.build(FINDINGS, CONTEXT) == data  # input order does not matter
    json.dumps(data)


def test_summary_json_passes_when_everything_passed():
    data = summary.build([finding("test_a", outcome="passed")], CONTEXT)
    assert data["verdict"] == "pass"


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


def test_annotations_are_errors_for_p0_p1_and_inconclusive_warnings_otherwise():
    lines = github.annotations(FINDINGS, CONTEXT)
    assert [line.split(" ")[0] for line in lines] == ["::error", "::error", "::error", "::warning"]
    assert lines[0].startswith("::error title=P0%3A 1. All ECS Tasks Down::")
    assert lines[2].startswith("::error title=could not verify%3A 1. All ECS Tasks Down::")


def test_annotations_escape_and_stay_within_github_limits():
    many = [finding(f"test_{i}", message="50% down,\nline two") for i in range(15)]
    lines = github.annotations(many, CONTEXT)
    assert len(lines) == github.LIMIT
    assert lines[0].endswith("test_0: 50%25 down,%0Aline two")
    assert "title=P0%3A 1. All ECS Tasks Down" in lines[0]


def test_incident_message_fills_the_runbook_templates():
    filled = incident.render(FINDINGS, CONTEXT)
    assert filled is not None
    text, start = filled.markdown, filled.message
    assert f"```\n{start}\n```" in text  # the message the terminal prints is the file's
    assert "🔴 INCIDENT: P0 All ECS Tasks Down on simulated" in start
    assert "(likely: Resource exhaustion (out of memory))" in start
    assert "Impact: svc: 0 of 2 tasks running" in start
    assert "Status: Investigating" in start
    public = text.split("```")[3]
    assert "We are currently investigating reports of complete service outage." in public
    assert "Posted: 10:30 UTC" in public
    assert "- Time of detection: 2026-11-26 10:30 UTC" in text
    assert "Within 1 week: Conduct post-mortem, Document learnings" in text


def test_no_incident_for_configuration_findings():
    config_only = [finding("test_backups", section="rollback-procedures", kind="readiness")]
    assert incident.render(config_only, CONTEXT) is None


def test_reports_are_written_and_a_passing_run_removes_a_stale_incident(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    written, errors = write_all(FINDINGS, CONTEXT, tmp_path)
    assert errors == []
    assert {p.name for p in written} == {"summary.json", "summary.md", "incident.md"}
    write_all([finding("test_a", outcome="passed")], CONTEXT, tmp_path)
    assert not (tmp_path / "incident.md").exists()


def test_a_folder_that_is_a_file_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder")
    written, errors = write_all(FINDINGS, CONTEXT, blocker)
    assert written == []
    assert any("could not write" in e and "summary.json" in e for e in errors)


def test_the_job_summary_is_appended_and_its_failure_reported(tmp_path, monkeypatch):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    write_all(FINDINGS, CONTEXT, tmp_path / "reports")
    assert step.read_text().startswith("earlier step\n## opscheck: FAIL")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "step.md"))
    _, errors = write_all(FINDINGS, CONTEXT, tmp_path / "reports")
    assert any("$GITHUB_STEP_SUMMARY" in e for e in errors)


@pytest.mark.parametrize(
    ("minutes", "level"),
    [
        (3, "L1 On-Call Engineer"),
        (20, "L2 DevOps Lead"),
        (45, "L3 Engineering Lead"),
        (70, "L4 CTO/CEO"),
    ],
)
def test_the_time_open_says_who_to_engage_now(minutes, level):
    run = replace(CONTEXT, incident_start=WHEN - timedelta(minutes=minutes))
    assert run.open_minutes == minutes
    assert f"open {minutes} min: engage {level} now" in markdown.render(FINDINGS, run)
    filled = incident.render(FINDINGS, run)
    assert filled is not None and f"engage {level} now" in filled.markdown


def test_incident_start_accepts_iso_and_clock_times():
    assert incident_start("2026-11-26T09:20") == datetime(2026, 11, 26, 9, 20, tzinfo=UTC)
    assert incident_start("2026-11-26T09:20+01:00").utcoffset() == timedelta(hours=1)
    clock = incident_start("00:00")
    assert clock <= datetime.now(UTC) and (clock.hour, clock.minute) == (0, 0)
    with pytest.raises(argparse.ArgumentTypeError, match="expected a time such as"):
        incident_start("yesterday")


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
