"""Findings and a run's context that the reports' tests render."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from opscheck.findings import Finding
from opscheck.reports import RunContext
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
