"""Findings: what each check concluded, read back from pytest's reports.

Reporters read findings, never evidence internals or boto3. A finding is built from a
test report's user_properties, so it is the same in a single process and under xdist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from opscheck.redact import redact

SEVERITY_ORDER = ("P0", "P1", "P2", "P3")
INCONCLUSIVE = "opscheck.inconclusive"
NOT_CONFIGURED = "opscheck.not_configured"
# A check states a fact its evidence established with the `fact` fixture,
# fact("rollback_to", "family:3"): reports use it to fill commands.
FACT = "opscheck.fact."


@dataclass(frozen=True)
class Finding:
    nodeid: str
    outcome: str  # passed, failed, inconclusive, not_configured
    section: str  # scenario slug or section anchor
    cause: str | None
    kind: str
    severity: str
    message: str
    facts: tuple[tuple[str, str], ...] = ()
    evidence: tuple[str, ...] = ()  # the sources the check read

    @property
    def check(self) -> str:
        return self.nodeid.rpartition("::")[2]

    @property
    def is_problem(self) -> bool:
        """Failed, or could not look: what a run's verdict and reports speak of. A check of
        what the environment leaves out on purpose (not configured) is not a problem."""
        return self.outcome in ("failed", "inconclusive")

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self.severity) if self.severity in SEVERITY_ORDER else 9

    @classmethod
    def from_report(cls, report: pytest.TestReport) -> Finding | None:
        """Return the finding a check's report carries, or None for anything that is not a check."""
        props = dict(report.user_properties)
        if "opscheck.section" not in props:
            return None
        if INCONCLUSIVE in props:
            outcome, message = "inconclusive", redact(str(props[INCONCLUSIVE]))
        elif NOT_CONFIGURED in props:
            outcome, message = "not_configured", redact(str(props[NOT_CONFIGURED]))
        elif report.failed:
            outcome, message = "failed", redact(_first_lines(_failure_text(report)))
        else:
            outcome, message = "passed", ""
        return cls(
            nodeid=report.nodeid,
            outcome=outcome,
            section=str(props["opscheck.section"]),
            cause=str(props["opscheck.cause"]) or None,
            kind=str(props["opscheck.kind"]),
            severity=str(props["opscheck.severity"]),
            message=message,
            facts=tuple(
                (k.removeprefix(FACT), str(v)) for k, v in props.items() if k.startswith(FACT)
            ),
            evidence=tuple(filter(None, str(props.get("opscheck.evidence", "")).split(","))),
        )


# Under pytest-xdist a report's text starts with its worker ("[gw1] linux -- Python 3.11.7 ...").
_WORKER_LINE = re.compile(r"\A\s*\[[^\]\n]*\] [^\n]* -- Python [^\n]*\n")


def _failure_text(report: pytest.TestReport) -> str:
    """What a failed check says, as a single process says it: a check's message is the
    plain string the session made of its assertion; pytest's text for anything else."""
    longrepr = report.longrepr
    text = longrepr if isinstance(longrepr, str) else report.longreprtext
    return _WORKER_LINE.sub("", text)


def _first_lines(text: str, limit: int = 4) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[:limit])


def collect(reports: Iterable[pytest.TestReport]) -> list[Finding]:
    """Return one finding per check, worst severity first, each section's checks in run order.

    Of a check's phases the worst wins: a setup that was inconclusive outweighs a passed call.
    """
    by_node: dict[str, Finding] = {}
    worst = {"passed": 0, "not_configured": 1, "failed": 2, "inconclusive": 3}
    for report in reports:
        finding = Finding.from_report(report)
        if finding is None:
            continue
        known = by_node.get(finding.nodeid)
        if known is None or worst[finding.outcome] > worst[known.outcome]:
            by_node[finding.nodeid] = finding
    order = {nodeid: index for index, nodeid in enumerate(by_node)}
    return sorted(by_node.values(), key=lambda f: (f.rank, f.section, order[f.nodeid]))


def gate(findings: Iterable[Finding], fail_on: str) -> str:
    """Return what a gate at severity fail_on makes of the findings: "block", "warn" or "pass".

    An inconclusive check always blocks: a gate that could not look has not passed. A check
    of something the environment leaves out on purpose (not configured) never does.
    """
    limit = SEVERITY_ORDER.index(fail_on.upper())
    failing = [f for f in findings if f.is_problem]
    if any(f.outcome == "inconclusive" or f.rank <= limit for f in failing):
        return "block"
    return "warn" if failing else "pass"
