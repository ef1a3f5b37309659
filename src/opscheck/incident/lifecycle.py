"""What one run means for an incident: its start, an update, or its verified resolution.

The runbook's Post-Incident Process begins with "Verify resolution: all metrics normal, no
ongoing errors". opscheck reads that as: every health check of the scenarios the incident
touched, and every health check of the runbook's error scenario, observed passing in this
run. A check that could not look (inconclusive) verifies nothing, and a check that did not
run verifies nothing either: `verifies` tells the session which checks an open incident
adds to whatever marker the user ran, so a `-m p0` run can still verify the error checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opscheck.findings import Finding
from opscheck.incident import messages, observe
from opscheck.incident.record import Entry, Failing, Record, State
from opscheck.reports import cause_of, escalation_line, title_of
from opscheck.reports.incident import failing_health
from opscheck.runbook import Runbook


@dataclass(frozen=True)
class Observed:
    """One run, as the lifecycle needs it."""

    at: datetime  # when the run finished: the time of every message
    findings: list[Finding]
    state: State | None  # what the evidence shows of deployments, counts and RDS
    evidence: str | None  # the run's evidence file, relative to the record folder
    # The Incident Start and Investigating texts the run filled (reports.incident), if any.
    opening: dict[str, str]


@dataclass(frozen=True)
class Step:
    """What the run did to the incident: the record after it, the messages, and the notes
    printed beside them (what changed since the last run, who to engage, what is unverified)."""

    record: Record
    phase: str
    messages: dict[str, str]
    notes: tuple[str, ...]


def error_scenarios(runbook: Runbook) -> set[str]:
    """The runbook's scenarios of errors: "No ongoing errors" is verified by their checks."""
    return {s.slug for s in runbook.scenarios if "error" in s.slug}


def verifies(record: Record | None, runbook: Runbook, section: str, kind: str) -> bool:
    """Whether a check must run (and pass) for the open incident's resolution to be verified."""
    if record is None or not record.open or kind != "health":
        return False
    return section in set(record.sections) | error_scenarios(runbook)


def _failing(runbook: Runbook, finding: Finding) -> Failing:
    return Failing(
        check=finding.check,
        outcome=finding.outcome,
        severity=finding.severity,
        section=title_of(runbook, finding),
        cause=cause_of(runbook, finding),
        message=" ".join(finding.message.split())[:300],
    )


def unverified(record: Record, runbook: Runbook, findings: list[Finding]) -> list[str]:
    """Why this run does not verify the resolution; empty when it does."""
    needed = set(record.sections) | error_scenarios(runbook)
    relevant = [f for f in findings if f.kind == "health" and f.section in needed]
    why = [f"{f.check} {f.outcome}" for f in relevant if f.outcome in ("failed", "inconclusive")]
    seen = {f.section for f in relevant if f.outcome == "passed"}
    why += [f"no health check of {runbook.place(s).name} ran" for s in sorted(needed - seen)]
    return why


def advance(
    record: Record | None,
    runbook: Runbook,
    run: Observed,
    *,
    name: str,
    target: str,
    start: datetime | None = None,
) -> Step | None:
    """The incident after this run; None when no incident is open and nothing fails.

    `start` (--incident-start) is when the incident began, if it is opened by this run;
    otherwise it began when it was detected, at this run.
    """
    bad = failing_health(runbook, run.findings)
    if record is None:
        if not bad:
            return None
        record = Record(name=name, target=target, started_at=start or run.at)
    elif not record.open:
        return Step(
            record,
            "closed",
            {},
            (
                f"incident {name} was resolved at "
                f"{record.resolved_at:%Y-%m-%d %H:%M} UTC; this run is not recorded in it: "
                "name a new incident to open one",
            ),
        )
    sections = tuple(dict.fromkeys([*record.sections, *(f.section for f in bad)]))
    record = record.model_copy(update={"sections": sections})
    failing = tuple(_failing(runbook, f) for f in bad)
    cause = next((c for f in bad if (c := cause_of(runbook, f))), None)
    previous = record.last
    first_state = record.entries[0].state if record.entries else None
    actions = observe.actions(previous.state if previous else None, run.state)
    status = observe.status(run.state, first_state) if previous else "Investigating"
    notes = _changes(previous, failing, run.findings, run.at)
    open_minutes = max(0.0, (run.at - record.started_at).total_seconds() / 60)
    filled: dict[str, str] = {}
    if previous is None:
        phase = "start"
        filled.update(run.opening)
    elif bad:
        phase = "update"
    else:
        why = unverified(record, runbook, run.findings)
        phase = "unverified" if why else "resolved"
        if why:
            notes.append("resolution not verified: " + "; ".join(why))
    worst = record.entries[0].failing[0] if record.entries else failing[0]
    description = messages.brief(worst.section, target, [c for c in [record.cause or cause] if c])
    if phase in ("update", "unverified"):
        severity = failing[0].severity if failing else worst.severity
        filled["Update"] = messages.update(runbook, severity, description, actions, status, run.at)
    if cause and not record.cause:
        filled["Identified"] = messages.identified(runbook, cause, run.at)
    if phase == "resolved":
        worst_severity = min(f.severity for e in record.entries for f in e.failing)
        done = [a for e in record.entries for a in e.actions] + actions
        filled["Resolution"] = messages.resolution(
            runbook,
            worst_severity,
            description,
            cause=record.cause or cause,
            actions=done,
            lasted=messages.duration(record.started_at, run.at),
        )
        filled["Resolved"] = messages.resolved(runbook, run.at)
    else:
        notes.append(f"escalation: {escalation_line(runbook, open_minutes)}")
    entry = Entry(
        at=run.at,
        phase=phase,
        failing=failing,
        passing=tuple(f.check for f in run.findings if f.outcome == "passed"),
        cause=cause,
        status=status if phase != "resolved" else "Resolved",
        actions=tuple(actions),
        evidence=run.evidence,
        state=run.state,
        messages=filled,
    )
    record = record.model_copy(
        update={
            "entries": (*record.entries, entry),
            "resolved_at": run.at if phase == "resolved" else None,
        }
    )
    return Step(record, phase, filled, tuple(notes))


def _changes(
    previous: Entry | None, failing: tuple[Failing, ...], findings: list[Finding], at: datetime
) -> list[str]:
    """What changed since the run before: checks newly failing, and newly passing."""
    if previous is None:
        return []
    before = {f.check for f in previous.failing}
    now = {f.check for f in failing}
    passing = {f.check for f in findings if f.outcome == "passed"}
    newly_failing = sorted(now - before)
    newly_passing = sorted(before & passing)
    return [
        f"since the last run ({messages.clock(previous.at)} UTC): "
        f"newly failing: {', '.join(newly_failing) or 'none'}; "
        f"newly passing: {', '.join(newly_passing) or 'none'}"
    ]
