"""incident.md: the runbook's templates filled in, and who to engage by the time open."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from opscheck.plugin import incident_start
from opscheck.reports import incident, markdown
from tests.reports.helpers import CONTEXT, FINDINGS, WHEN, finding


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
