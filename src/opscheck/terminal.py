"""The terminal summary: what the runbook says about this run's failures.

Grouped by scenario, worst severity first. For each: the section and its anchor, the
severity and its response time, the cause the evidence points at and the resolution
branch for it, the diagnosis commands for this environment, and the escalation path.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from opscheck.commands import fill
from opscheck.findings import Finding
from opscheck.runbook import Command, Runbook, Scenario
from opscheck.target import Target

Write = Callable[..., None]
INDENT = "    "


def render(
    write: Write,
    findings: list[Finding],
    runbook: Runbook,
    target: Target,
    reference: dict[str, str],
) -> None:
    """Write the summary of failed and inconclusive findings with `write(line, **markup)`."""
    failed = [f for f in findings if f.outcome == "failed"]
    unsure = [f for f in findings if f.outcome == "inconclusive"]
    for slug, group in groupby(failed, key=lambda f: (f.rank, f.scenario)):
        _scenario(write, list(group), runbook.scenario(slug[1]), runbook, target, reference)
    if unsure:
        write("")
        write(
            f"Could not verify ({len(unsure)} inconclusive: the run fails until they can be seen):",
            yellow=True,
            bold=True,
        )
        for f in unsure:
            write(
                f"{INDENT}? [{f.severity} {f.scenario}] {f.check}: {_one_line(f.message)}",
                yellow=True,
            )
    passed = sum(f.outcome == "passed" for f in findings)
    write("")
    write(
        f"opscheck: {len(failed)} failed, {len(unsure)} inconclusive, {passed} passed "
        f"against {target.name} ({target.aws.region})",
        bold=True,
        red=bool(failed or unsure),
        green=not (failed or unsure),
    )


def _scenario(
    write: Write,
    failed: list[Finding],
    scenario: Scenario,
    runbook: Runbook,
    target: Target,
    reference: dict[str, str],
) -> None:
    level = runbook.severities[scenario.severity]
    write("")
    write(
        f"{scenario.severity} {scenario.number}. {scenario.title} | respond: {level.response_time}",
        red=True,
        bold=True,
    )
    write(f"{INDENT}runbook: {runbook.path}#{scenario.anchor}")
    write(f"{INDENT}failing checks ({len(failed)}):")
    for f in failed:
        write(f"{INDENT}  x {f.check}: {_one_line(f.message)}")

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
        _commands(write, branch.commands, target, reference)
        for note in branch.notes:
            write(f"{INDENT}    - {note}")

    write(f"{INDENT}diagnosis ({target.name}):")
    _commands(write, scenario.diagnosis, target, reference)
    path = " -> ".join(f"L{e.level} {e.role} ({e.span})" for e in runbook.escalation)
    write(f"{INDENT}escalation: {path}")


def _commands(
    write: Write, commands: tuple[Command, ...], target: Target, ref: dict[str, str]
) -> None:
    for command in commands:
        if command.purpose:
            write(f"{INDENT}    # {command.purpose}", cyan=True)
        for line in fill(command.text, target, ref).splitlines():
            write(f"{INDENT}    {line}")


def _one_line(message: str) -> str:
    return " / ".join(line.strip() for line in message.splitlines() if line.strip())
