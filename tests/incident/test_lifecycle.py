"""An incident from its first failing run to the verified resolution, at fixed times."""

from __future__ import annotations

from datetime import timedelta

from opscheck.incident import lifecycle
from opscheck.incident.record import Record
from tests.incident.helpers import (
    BAD,
    ERRORS,
    HEALTHY,
    PULL,
    ROLLING_BACK,
    TASKS,
    errors_pass,
    healthy,
    observed,
    outage,
    rolling_back,
)
from tests.reports.helpers import RUNBOOK, WHEN, finding


def advance(record, run, **options):
    return lifecycle.advance(record, RUNBOOK, run, name="db", target="simulated", **options)


def started():
    opening = {"Incident Start": "🔴 INCIDENT: ...", "Investigating": "We are ..."}
    step = advance(None, observed(0, outage(), BAD, opening))
    assert step is not None
    return step


def test_nothing_failing_opens_no_incident():
    assert advance(None, observed(0, healthy(), HEALTHY)) is None


def test_the_first_failing_run_starts_it_and_names_the_cause():
    step = started()
    assert step.phase == "start"
    assert list(step.messages) == ["Incident Start", "Investigating", "Identified"]
    assert step.messages["Identified"] == (
        "We have identified the issue as failed deployment.\n"
        "Our team is working on a fix.\nPosted: 10:30 UTC"
    )
    record = step.record
    assert record.started_at == WHEN and record.sections == ("all-ecs-tasks-down",)
    assert record.cause == "Failed deployment (bad Docker image)"
    entry = record.entries[0]
    assert [f.check for f in entry.failing] == [TASKS, PULL]
    assert entry.failing[1].section == "1. All ECS Tasks Down"
    assert entry.evidence == "evidence-0.json" and entry.status == "Investigating"


def test_the_start_time_given_is_kept():
    step = advance(None, observed(0, outage(), BAD), start=WHEN - timedelta(minutes=20))
    assert step is not None and step.record.started_at == WHEN - timedelta(minutes=20)
    assert "engage L2 DevOps Lead now" in step.notes[-1]


def test_a_symptom_alone_identifies_nothing():
    step = advance(None, observed(0, [finding(TASKS), errors_pass()], BAD))
    assert step is not None and "Identified" not in step.messages
    assert step.record.cause is None


def test_a_rollback_is_the_update():
    step = advance(started().record, observed(7, rolling_back(), ROLLING_BACK))
    assert step is not None and step.phase == "update"
    assert step.messages == {
        "Update": "🟡 UPDATE: P1 All ECS Tasks Down on simulated "
        "(likely: Failed deployment (bad Docker image))\n"
        "Action Taken: Rolled back saaspe-production-backend:4 -> saaspe-production-backend:3\n"
        "Current Status: Rolling back to :3\n"
        "ETA: [Estimated resolution time]\n"
        "Next Update: 10:52 UTC"
    }  # the cause was identified already: no second Identified
    assert step.notes[0] == (
        f"since the last run (10:30 UTC): newly failing: none; newly passing: {PULL}"
    )
    assert "open 7 min: engage L1 On-Call Engineer now" in step.notes[1]


def test_an_update_with_nothing_seen_done_keeps_the_placeholder():
    step = advance(started().record, observed(16, outage(), BAD))
    assert step is not None
    assert (
        "Action Taken: [What was done]\nCurrent Status: Still investigating"
        in (step.messages["Update"])
    )
    assert "engage L2 DevOps Lead now" in step.notes[-1]


def test_the_verified_run_resolves_it_with_its_duration():
    rolled = advance(started().record, observed(7, rolling_back(), ROLLING_BACK))
    assert rolled is not None
    step = advance(rolled.record, observed(19, healthy(), HEALTHY))
    assert step is not None and step.phase == "resolved"
    assert step.messages["Resolution"] == (
        "🟢 RESOLVED: P0 All ECS Tasks Down on simulated "
        "(likely: Failed deployment (bad Docker image))\n"
        "Root Cause: Failed deployment (bad Docker image)\n"
        "Resolution: Rolled back saaspe-production-backend:4 -> saaspe-production-backend:3\n"
        "Duration: 19 min\n"
        "Post-Mortem: [Link to doc]"
    )
    assert step.messages["Resolved"].endswith("Posted: 10:49 UTC")
    assert step.record.resolved_at == WHEN + timedelta(minutes=19)
    assert step.record.entries[-1].messages == step.messages


def test_an_inconclusive_check_never_verifies():
    runs = [*healthy()[:2], finding(ERRORS, outcome="inconclusive", section="high-error-rate")]
    step = advance(started().record, observed(10, runs, HEALTHY))
    assert step is not None and step.phase == "unverified"
    assert "Resolved" not in step.messages and step.record.open
    assert any(n.startswith(f"resolution not verified: {ERRORS} inconclusive") for n in step.notes)


def test_error_checks_that_did_not_run_verify_nothing():
    step = advance(started().record, observed(10, healthy()[:2], HEALTHY))
    assert step is not None and step.phase == "unverified"
    assert any("no health check of 2. High Error Rate ran" in n for n in step.notes)


def test_a_resolved_incident_records_no_more_runs():
    record = Record(
        name="db", target="simulated", started_at=WHEN, resolved_at=WHEN + timedelta(hours=1)
    )
    step = advance(record, observed(90, outage(), BAD))
    assert step is not None and step.phase == "closed" and step.record == record
    assert "name a new incident" in step.notes[0]


def test_what_verifies_a_resolution():
    record = started().record
    assert lifecycle.verifies(record, RUNBOOK, "all-ecs-tasks-down", "health")
    assert lifecycle.verifies(record, RUNBOOK, "high-error-rate", "health")
    assert not lifecycle.verifies(record, RUNBOOK, "high-error-rate", "config")
    assert not lifecycle.verifies(record, RUNBOOK, "slow-performance", "health")
    assert not lifecycle.verifies(None, RUNBOOK, "all-ecs-tasks-down", "health")


def test_a_cause_found_later_is_identified_then():
    first = advance(None, observed(0, [finding(TASKS), errors_pass()], BAD))
    assert first is not None and "Identified" not in first.messages
    step = advance(first.record, observed(5, outage(), BAD))
    assert step is not None and list(step.messages) == ["Update", "Identified"]
    assert "(likely: Failed deployment (bad Docker image))" in step.messages["Update"]
    assert step.record.cause == "Failed deployment (bad Docker image)"


def test_a_resolution_with_no_action_seen_keeps_the_placeholder():
    step = advance(started().record, observed(30, healthy(), BAD))
    assert step is not None and step.phase == "resolved"
    assert "Resolution: [What fixed it]\nDuration: 30 min" in step.messages["Resolution"]
