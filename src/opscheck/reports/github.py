"""GitHub Actions annotations: an ::error per P0/P1 failure and inconclusive check, a
::warning per P2/P3 failure, worst first, within GitHub's limit of 10 of each per step."""

from __future__ import annotations

from opscheck.findings import Finding
from opscheck.reports import RunContext, problems, title_of

LIMIT = 10  # GitHub shows at most 10 errors and 10 warnings of a step


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(findings: list[Finding], run: RunContext) -> list[str]:
    shown = {"error": 0, "warning": 0}
    out = []
    for f in problems(findings):
        level = "error" if f.outcome == "inconclusive" or f.severity in ("P0", "P1") else "warning"
        if shown[level] == LIMIT:
            continue
        shown[level] += 1
        what = "could not verify" if f.outcome == "inconclusive" else f.severity
        title = f"{what}: {title_of(run.runbook, f)}"
        out.append(f"::{level} title={_property(title)}::{_data(f'{f.check}: {f.message}')}")
    return out
