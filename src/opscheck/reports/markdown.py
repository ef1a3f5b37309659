"""reports/summary.md: the verdict and the findings, worst first, for a pull request or a
GitHub job summary (appended to $GITHUB_STEP_SUMMARY when it is set). A failing metric's
recent series is drawn as a Unicode sparkline, so a trend is seen at a glance."""

from __future__ import annotations

import os

from opscheck.findings import Finding
from opscheck.reports import (
    RunContext,
    anchor_of,
    cause_of,
    escalation_line,
    not_configured,
    problems,
    title_of,
)
from opscheck.runbook import Runbook


def runbook_link(runbook: Runbook, anchor: str) -> str:
    """A link that resolves where the summary is read: on GitHub, the file at this commit."""
    server, repo, sha = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    base = f"{server}/{repo}/blob/{sha}/" if server and repo and sha else ""
    return f"{base}{runbook.path}#{anchor}"


BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """A metric's recent series at a glance: one bar per value, scaled to its own range."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(BARS[round((v - low) / span * (len(BARS) - 1))] for v in values)


def _trend(finding: Finding) -> str:
    """A check that graded a metric states its series as the fact `series` ("1,2.5,3")."""
    raw = dict(finding.facts).get("series", "")
    try:
        values = [float(v) for v in raw.split(",") if v]
    except ValueError:
        return ""
    return f"`{sparkline(values)}` {values[-1]:g}" if values else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(findings: list[Finding], run: RunContext) -> str:
    bad = problems(findings)
    failed = sum(f.outcome == "failed" for f in findings)
    unsure = sum(f.outcome == "inconclusive" for f in findings)
    simulated = ", SIMULATED" if run.target.simulated else ""
    where = f"{run.target.name} ({run.target.aws.region}{simulated})"
    verdict = "FAIL" if bad else "PASS"
    if not run.complete:
        verdict = "INCOMPLETE (the run stopped before its checks had run)"
    elif run.gate and run.gate[1] == "warn":
        verdict = f"PASS with warnings (--fail-on {run.gate[0].lower()}: less severe findings)"
    elif run.gate and run.gate[1] == "block" and run.gate[0] != "P3":
        verdict = f"BLOCKED (--fail-on {run.gate[0].lower()})"
    left_out = not_configured(findings)
    passed = sum(f.outcome == "passed" for f in findings)
    lines = [
        f"## opscheck: {verdict} on {where}",
        "",
        f"{failed} failed, {unsure} inconclusive, {passed} passed"
        + (f", {len(findings) - failed - unsure - passed} not configured" if left_out else "")
        + (f"; account {run.account}" if run.account else "")
        + f"; {run.finished_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    lines += [f"- not configured: {_cell(reason)}" for reason in left_out]
    lines += [""] if left_out else []
    if not bad:
        return "\n".join(lines)
    lines += [
        "| severity | respond | section | cause | finding | trend | runbook |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in bad:
        level = run.runbook.severities.get(f.severity)
        respond = level.response_time if level else ""
        outcome = "inconclusive: " if f.outcome == "inconclusive" else ""
        cause = cause_of(run.runbook, f) or ("symptom" if f.outcome == "failed" else "")
        link = runbook_link(run.runbook, anchor_of(run.runbook, f))
        lines.append(
            f"| {f.severity} | {respond} | {_cell(title_of(run.runbook, f))} | {_cell(cause)} | "
            f"{outcome}`{f.check}`: {_cell(f.message)} | {_trend(f)} | [section]({link}) |"
        )
    lines += ["", f"Escalation: {escalation_line(run.runbook, run.open_minutes)}.", ""]
    return "\n".join(lines)
