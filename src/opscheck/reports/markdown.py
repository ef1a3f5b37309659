"""reports/summary.md: the verdict and the findings, worst first, for a pull request or a
GitHub job summary (appended to $GITHUB_STEP_SUMMARY when it is set)."""

from __future__ import annotations

import os

from opscheck.findings import Finding
from opscheck.reports import (
    RunContext,
    anchor_of,
    cause_of,
    escalation_line,
    problems,
    title_of,
)


def runbook_link(run: RunContext, anchor: str) -> str:
    """A link that resolves where the summary is read: on GitHub, the file at this commit."""
    server, repo, sha = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    base = f"{server}/{repo}/blob/{sha}/" if server and repo and sha else ""
    return f"{base}{run.runbook.path}#{anchor}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(findings: list[Finding], run: RunContext) -> str:
    bad = problems(findings)
    failed = sum(f.outcome == "failed" for f in findings)
    unsure = sum(f.outcome == "inconclusive" for f in findings)
    simulated = ", SIMULATED" if run.target.simulated else ""
    where = f"{run.target.name} ({run.target.aws.region}{simulated})"
    verdict = "FAIL" if bad else "PASS"
    lines = [
        f"## opscheck: {verdict} on {where}",
        "",
        f"{failed} failed, {unsure} inconclusive, {len(findings) - failed - unsure} passed"
        + (f"; account {run.account}" if run.account else "")
        + f"; {run.finished_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    if not bad:
        return "\n".join(lines)
    lines += [
        "| severity | respond | section | cause | finding | runbook |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in bad:
        level = run.runbook.severities.get(f.severity)
        respond = level.response_time if level else ""
        outcome = "inconclusive: " if f.outcome == "inconclusive" else ""
        cause = cause_of(run.runbook, f) or ("symptom" if f.outcome == "failed" else "")
        link = runbook_link(run, anchor_of(run.runbook, f))
        lines.append(
            f"| {f.severity} | {respond} | {_cell(title_of(run.runbook, f))} | {_cell(cause)} | "
            f"{outcome}`{f.check}`: {_cell(f.message)} | [section]({link}) |"
        )
    lines += ["", f"Escalation: {escalation_line(run.runbook, run.open_minutes)}.", ""]
    return "\n".join(lines)
