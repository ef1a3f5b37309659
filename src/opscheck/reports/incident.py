"""reports/incident.md: the runbook's own templates filled in from the worst finding.

The internal "Incident Start" message and the status page's "Investigating" text, ready to
paste, and an incident log skeleton with the time of detection, the failing checks and the
post-incident steps the runbook lists. Only what the evidence says is filled in: the owner
stays the runbook's placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opscheck.findings import Finding
from opscheck.incident.messages import brief
from opscheck.reports import (
    RunContext,
    cause_of,
    escalation_line,
    problems,
    scenario_of,
    title_of,
)
from opscheck.runbook import Runbook


@dataclass(frozen=True)
class Incident:
    """The incident, twice: the message the terminal prints, and the whole of incident.md.

    Kept apart so the terminal need not dig its message back out of the Markdown.
    """

    message: str  # the internal "Incident Start" message, filled in, ready to paste
    markdown: str  # reports/incident.md
    # The runbook templates filled in, by name: "Incident Start" and "Investigating".
    templates: dict[str, str] = field(default_factory=dict)


def _brief(run: RunContext, same: list[Finding]) -> str:
    causes = list(dict.fromkeys(c for f in same if (c := cause_of(run.runbook, f))))
    return brief(title_of(run.runbook, same[0]), run.target.name, causes)


def _public(run: RunContext, worst: Finding) -> str:
    """Words for customers: the runbook's own definition of the severity, not internal names."""
    definition = run.runbook.severities[worst.severity].definition
    return definition.split(",")[0].strip().lower()


def failing_health(runbook: Runbook, findings: list[Finding]) -> list[Finding]:
    """Failed health checks of a runbook scenario, worst first: what an incident is made of."""
    return [
        f
        for f in problems(findings)
        if f.outcome == "failed" and f.kind == "health" and scenario_of(runbook, f)
    ]


def render(findings: list[Finding], run: RunContext) -> Incident | None:
    """The filled templates and log, or None when no scenario's health check failed.

    An incident is what the runbook's scenarios describe happening now: a failed
    configuration or readiness check, or one of a section such as the runbook's own
    maintenance, is a finding to fix, not an incident to announce.
    """
    bad = failing_health(run.runbook, findings)
    if not bad:
        return None
    worst = bad[0]
    same = [f for f in bad if f.section == worst.section]
    impact = "; ".join(" ".join(f.message.split())[:160] for f in same[:3])
    posted = f"{run.finished_at:%H:%M}"
    start = (
        run.runbook.template("Incident Start")
        .text.replace("[P0/P1/P2]", worst.severity)
        .replace("[Brief Description]", _brief(run, same))
        .replace("[What's affected]", impact)
    )
    public = (
        run.runbook.template("Investigating")
        .text.replace("[issue description]", _public(run, worst))
        .replace("[Time]", posted)
    )
    steps = [
        f"- [ ] {when}: {', '.join(items)}" for when, items in run.runbook.post_incident.items()
    ]
    failing = [f"- {f.severity} {title_of(run.runbook, f)}: `{f.check}`" for f in bad]
    markdown = "\n".join(
        [
            f"# Incident: {_brief(run, same)}",
            "",
            "## Internal (Slack): Incident Start",
            "```",
            start,
            "```",
            "",
            "## External (Status Page): Investigating",
            "```",
            public,
            "```",
            "",
            "## Incident log",
            f"- Time of detection: {run.finished_at:%Y-%m-%d %H:%M} UTC "
            f"(opscheck on {run.target.name})",
            "- Time of resolution: ",
            "- Failing checks:",
            *[f"  {line}" for line in failing],
            f"- Escalation: {escalation_line(run.runbook, run.open_minutes)}",
            "- Actions taken: ",
            "- People involved: ",
            "",
            "## Post-incident (from the runbook)",
            *steps,
            "",
        ]
    )
    return Incident(
        message=start.strip(),
        markdown=markdown,
        templates={"Incident Start": start.strip(), "Investigating": public.strip()},
    )
