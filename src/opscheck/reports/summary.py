"""reports/summary.json: the run as data, the contract for other tools.

Fields (schema 1):
  schema            1; a change that removes or renames a field raises it
  verdict           "pass" when every check passed, "fail" when one did not, "incomplete"
                    when the run stopped before its checks had run (interrupted, an
                    error outside the checks, nothing selected): never a pass
  gate              {fail_on, decision}: the --fail-on severity ("P0".."P3") and what it
                    made of the run: "pass" (every check passed), "warn" (only failures
                    below the gate: the run passes) or "block" (a failure at or above it,
                    an inconclusive check, or a run that did not complete); null when
                    the run was not judged (a report written outside a pytest session)
  target            {name, region, simulated, account, caller}
  runbook           {path, version}
  started_at, finished_at   ISO 8601, UTC
  faults            faults staged in the simulated production, if any
  replayed_from     the saved evidence checked, if the run read no live source
  counts            {passed, failed, inconclusive, not_configured}
  checks            one object per check, ordered by severity, section, then id:
    id              the pytest node id
    check           the check's function name
    outcome         "passed" | "failed" | "inconclusive" | "not_configured" (the environment
                    leaves out what it reads, on purpose: skipped, never blocking)
    severity        "P0".."P3": for a failure the severity the evidence warrants,
                    otherwise the worst the check can report
    section         the runbook scenario slug or section anchor it maps to
    section_title   e.g. "1. All ECS Tasks Down"
    anchor          the GitHub anchor of that section in the runbook
    cause           the common cause's slug, or null for a symptom
    cause_text      the cause as the runbook words it, or null
    kind            "health" | "config" | "readiness"
    message         what was measured against which threshold, or why it could not look
    evidence        the evidence sources it read (keys of the saved evidence file)
    facts           what the check established for the reports (e.g. rollback_to)
"""

from __future__ import annotations

from typing import Any

from opscheck.findings import Finding
from opscheck.reports import RunContext, anchor_of, cause_of, title_of

SCHEMA = 1


def verdict(findings: list[Finding], run: RunContext) -> str:
    if not run.complete:
        return "incomplete"
    return "fail" if any(f.is_problem for f in findings) else "pass"


def build(findings: list[Finding], run: RunContext) -> dict[str, Any]:
    book = run.runbook
    ordered = sorted(findings, key=lambda f: (f.rank, f.section, f.nodeid))
    counts = {
        o: sum(f.outcome == o for f in findings)
        for o in ("passed", "failed", "inconclusive", "not_configured")
    }
    return {
        "schema": SCHEMA,
        "verdict": verdict(findings, run),
        "gate": dict(zip(("fail_on", "decision"), run.gate, strict=True)) if run.gate else None,
        "target": {
            "name": run.target.name,
            "region": run.target.aws.region,
            "simulated": run.target.simulated,
            "account": run.account,
            "caller": run.caller,
        },
        "runbook": {"path": book.path, "version": book.version},
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "faults": list(run.faults),
        "replayed_from": run.replayed_from,
        "counts": counts,
        "checks": [
            {
                "id": f.nodeid,
                "check": f.check,
                "outcome": f.outcome,
                "severity": f.severity,
                "section": f.section,
                "section_title": title_of(book, f),
                "anchor": anchor_of(book, f),
                "cause": f.cause,
                "cause_text": cause_of(book, f),
                "kind": f.kind,
                "message": f.message,
                "evidence": list(f.evidence),
                "facts": dict(f.facts),
            }
            for f in ordered
        ],
    }
