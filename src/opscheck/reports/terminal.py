"""The terminal summary: what the runbook says about this run's failures.

Grouped by section, worst severity first. For a scenario: the section and its anchor, the
severity and its response time, the cause the evidence points at and the resolution
branch for it, the diagnosis commands for this environment, and the escalation path. For
a section of no single scenario (rollback, monitoring, maintenance): its title, anchor and
commands.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from opscheck.commands import fill
from opscheck.findings import Finding
from opscheck.reports import escalation_line, not_configured
from opscheck.runbook import Command, Runbook, Scenario, Section
from opscheck.target import Target

Write = Callable[..., None]
INDENT = "    "


def render(
    write: Write,
    findings: list[Finding],
    runbook: Runbook,
    target: Target,
    reference: dict[str, str],
    open_minutes: float | None = None,
) -> None:
    """Write the summary of failed and inconclusive findings with `write(line, **markup)`.

    With `open_minutes` (how long the incident has been open), the escalation line says
    which level of the runbook's path should be engaged now.
    """
    facts = {key: value for f in findings for key, value in f.facts}
    escalation = escalation_line(runbook, open_minutes)
    failed = [f for f in findings if f.outcome == "failed"]
    unsure = [f for f in findings if f.outcome == "inconclusive"]
    for (_, slug), group in groupby(failed, key=lambda f: (f.rank, f.section)):
        found = list(group)
        place = runbook.place(slug)
        if isinstance(place, Scenario):
            _scenario(write, found, place, runbook, target, reference, facts, escalation)
        else:
            _section(write, found, place, runbook, target, reference, facts, escalation)
    if unsure:
        write("")
        write(
            f"Could not verify ({len(unsure)} inconclusive: the run fails until they can be seen):",
            yellow=True,
            bold=True,
        )
        for f in unsure:
            write(
                f"{INDENT}? [{f.severity} {f.section}] {f.check}: {_one_line(f.message)}",
                yellow=True,
            )
    left_out = not_configured(findings)
    if left_out:
        write("")
        skipped = sum(f.outcome == "not_configured" for f in findings)
        write(f"Not configured ({skipped} checks skipped: this environment leaves them out):")
        for reason in left_out:
            write(f"{INDENT}- not configured: {_one_line(reason)}", cyan=True)
    passed = sum(f.outcome == "passed" for f in findings)
    write("")
    write(
        f"opscheck: {len(failed)} failed, {len(unsure)} inconclusive, {passed} passed"
        + (f", {skipped} not configured" if left_out else "")
        + f" against {target.name} ({target.aws.region})",
        bold=True,
        red=bool(failed or unsure),
        green=not (failed or unsure),
    )


def _heading(
    write: Write, failed: list[Finding], title: str, anchor: str, runbook: Runbook
) -> None:
    severity = failed[0].severity
    write("")
    write(
        f"{severity} {title} | respond: {runbook.severities[severity].response_time}",
        red=True,
        bold=True,
    )
    write(f"{INDENT}runbook: {runbook.path}#{anchor}")
    write(f"{INDENT}failing checks ({len(failed)}):")
    for f in failed:
        write(f"{INDENT}  x {f.check}: {_one_line(f.message)}")


def _section(
    write: Write,
    failed: list[Finding],
    section: Section,
    runbook: Runbook,
    target: Target,
    reference: dict[str, str],
    facts: dict[str, str],
    escalation: str,
) -> None:
    _heading(write, failed, section.title, section.anchor, runbook)
    if section.commands:
        write(f"{INDENT}commands ({target.name}):")
        _commands(write, section.commands, target, reference, facts)
    write(f"{INDENT}escalation: {escalation}")


def _scenario(
    write: Write,
    failed: list[Finding],
    scenario: Scenario,
    runbook: Runbook,
    target: Target,
    reference: dict[str, str],
    facts: dict[str, str],
    escalation: str,
) -> None:
    title = f"{scenario.number}. {scenario.title}"
    _heading(write, failed, title, scenario.anchor, runbook)

    causes = list(dict.fromkeys(f.cause for f in failed if f.cause))
    if not causes:
        write(f"{INDENT}likely cause: not identified by the evidence; the runbook lists:")
        for c in scenario.causes:
            write(f"{INDENT}  {c.number}. {c.text}")
    for slug in causes:
        cause = scenario.cause(slug)
        write(f"{INDENT}likely cause: {cause.number}. {cause.text}", bold=True)
        branch = scenario.branch_for(cause)
        if branch is None:
            write(f"{INDENT}  the runbook has no resolution branch for this cause")
            continue
        write(f"{INDENT}  resolution, '{branch.title}':")
        _commands(write, branch.commands, target, reference, facts)
        for note in branch.notes:
            write(f"{INDENT}    - {note}")

    write(f"{INDENT}diagnosis ({target.name}):")
    _commands(write, scenario.diagnosis, target, reference, facts)
    write(f"{INDENT}escalation: {escalation}")


def _commands(
    write: Write,
    commands: tuple[Command, ...],
    target: Target,
    ref: dict[str, str],
    facts: dict[str, str],
) -> None:
    for command in commands:
        if command.purpose:
            write(f"{INDENT}    # {command.purpose}", cyan=True)
        for line in fill(command.text, target, ref, facts).splitlines():
            write(f"{INDENT}    {line}")


def _one_line(message: str) -> str:
    return " / ".join(line.strip() for line in message.splitlines() if line.strip())
