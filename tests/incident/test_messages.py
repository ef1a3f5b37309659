"""The runbook's templates after the start, and the intervals read from the runbook's text."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from opscheck.incident import messages
from tests.reports.helpers import RUNBOOK, WHEN


def with_template(name, text):
    templates = tuple(replace(t, text=text) if t.name == name else t for t in RUNBOOK.templates)
    return replace(RUNBOOK, templates=templates)


def test_the_update_interval_is_the_runbooks():
    assert messages.update_minutes(RUNBOOK) == 15
    faster = with_template("Incident Start", "INCIDENT\nUpdates: Every 5 minutes")
    assert messages.update_minutes(faster) == 5
    text = messages.update(faster, "P1", "x", [], "Still investigating", WHEN)
    assert text.endswith("Next Update: 10:35 UTC")


def test_no_interval_stated_keeps_the_placeholder():
    runbook = replace(
        RUNBOOK,
        templates=tuple(
            replace(t, text=t.text.replace("15 minutes", "a while")) for t in RUNBOOK.templates
        ),
    )
    assert messages.update_minutes(runbook) is None
    assert messages.update(runbook, "P1", "x", [], "Still investigating", WHEN).endswith(
        "Next Update: [Time]"
    )


def test_customers_read_the_cause_without_the_aside():
    assert messages.customer_words("Failed deployment (bad Docker image)") == "failed deployment"
    assert messages.customer_words("RDS instance rebooting (maintenance window)") == (
        "RDS instance rebooting"
    )


def test_durations():
    assert messages.duration(WHEN, WHEN + timedelta(minutes=19)) == "19 min"
    assert messages.duration(WHEN, WHEN + timedelta(minutes=75)) == "1 h 15 min"


def test_post_incident_steps_are_due_from_the_resolution():
    lines = messages.post_incident(RUNBOOK, WHEN)
    assert "- [x] Immediate (Within 1 hour) (due 2026-11-26 11:30 UTC): Verify resolution" in lines
    assert "- [ ] Within 24 hours (due 2026-11-27 10:30 UTC): Gather data" in lines
    assert "- [ ] Within 1 week (due 2026-12-03 10:30 UTC): Implement preventions" in lines
    assert len(lines) == sum(len(s) for s in RUNBOOK.post_incident.values())
