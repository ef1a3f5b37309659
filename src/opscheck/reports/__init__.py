"""Reports of a run, in the terminal and in reports/: for tools, the pipeline, the on-call.

Every reporter reads findings and the runbook, never evidence internals or boto3. A report
that cannot be written is said so in the terminal; the run's verdict does not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from opscheck.findings import Finding
from opscheck.runbook import Runbook, Scenario
from opscheck.target import Target


@dataclass(frozen=True)
class RunContext:
    """What every report says about the run besides its findings."""

    runbook: Runbook
    target: Target
    account: str | None
    caller: str | None
    started_at: datetime
    finished_at: datetime
    faults: tuple[str, ...] = ()
    replayed_from: str | None = None
    incident_start: datetime | None = None
    gate: tuple[str, str] | None = None  # (fail_on, decision) of --fail-on
    # False when the run stopped before every selected check ran (interrupted, an error):
    # its reports say "incomplete", never the verdict of the checks that happened to run.
    complete: bool = True
    # The names the runbook's commands were written with (its reference environment's),
    # which the terminal summary swaps for the target's.
    reference: dict[str, str] = field(default_factory=dict)

    @property
    def open_minutes(self) -> float | None:
        """How long the incident has been open, when the user said when it began."""
        if self.incident_start is None:
            return None
        return max(0.0, (self.finished_at - self.incident_start).total_seconds() / 60)


def scenario_of(runbook: Runbook, finding: Finding) -> Scenario | None:
    place = runbook.place(finding.section)
    return place if isinstance(place, Scenario) else None


def title_of(runbook: Runbook, finding: Finding) -> str:
    return runbook.place(finding.section).name


def anchor_of(runbook: Runbook, finding: Finding) -> str:
    return runbook.place(finding.section).anchor


def cause_of(runbook: Runbook, finding: Finding) -> str | None:
    scenario = scenario_of(runbook, finding)
    if scenario is None or finding.cause is None:
        return None
    return scenario.cause(finding.cause).text


def problems(findings: list[Finding]) -> list[Finding]:
    """Failed and inconclusive findings, worst severity first (otherwise in the order given)."""
    return sorted((f for f in findings if f.is_problem), key=lambda f: f.rank)


def not_configured(findings: list[Finding]) -> list[str]:
    """What the environment leaves out on purpose, once per reason, in the order found."""
    return list(dict.fromkeys(f.message for f in findings if f.outcome == "not_configured"))


def escalation_line(runbook: Runbook, open_minutes: float | None = None) -> str:
    """The runbook's escalation path; with the time open, who to engage now."""
    path = " -> ".join(f"L{e.level} {e.role} ({e.span})" for e in runbook.escalation)
    if open_minutes is None:
        return path
    now = runbook.escalation_at(open_minutes)
    return f"open {open_minutes:.0f} min: engage L{now.level} {now.role} now | {path}"
