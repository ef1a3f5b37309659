"""The end of a run: its findings in the terminal, in reports/, as annotations and for Allure.

One call, so the plugin decides when a run is reported and this package decides how. A
file that cannot be written is said so in the terminal; the run's verdict does not change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from opscheck.findings import Finding
from opscheck.reports import RunContext, allure, github, incident, terminal
from opscheck.reports.write import write_all


class Terminal(Protocol):
    """Where the summary goes: pytest's terminal reporter has these two methods."""

    def write_line(self, line: str, **markup: bool) -> None: ...

    def section(self, title: str, sep: str = "=", **markup: bool) -> None: ...


def publish(
    findings: list[Finding],
    run: RunContext,
    folder: Path,
    out: Terminal,
    allure_results: Path | None = None,
    tracked: Sequence[str] | None = None,
) -> None:
    """Report the findings: annotations, the summary, reports in `folder`, the incident message.

    With `allure_results` (the folder allure-pytest writes to), the run-wide Allure files
    are written too: they describe the run, which only the main process has seen whole.
    With `tracked` (what the run did to an `--incident`: its messages, filled in), those
    are printed instead of the start message, which only the incident's first run sends.
    """
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github.annotations(findings, run):
            out.write_line(line)
    out.section("opscheck: what the runbook says", sep="=", bold=True)
    terminal.render(
        out.write_line, findings, run.runbook, run.target, run.reference, run.open_minutes
    )
    written, errors = write_all(findings, run, folder)
    if allure_results is not None:
        try:
            allure.write_files(allure_results, folder, run)
        except OSError as error:
            errors.append(f"could not write the Allure run files in {allure_results}: {error}")
    filled = incident.render(findings, run)
    if tracked is not None:
        out.write_line("")
        for line in tracked:
            out.write_line(f"opscheck: {line}" if line.startswith("incident ") else line)
    elif filled:
        out.write_line("")
        out.write_line("incident message (runbook template, filled in):", bold=True)
        for line in filled.message.splitlines():
            out.write_line(f"    {line}")
    if written:
        names = ", ".join(str(p.relative_to(folder)) for p in written)
        out.write_line(f"opscheck: reports in {folder}: {names}")
    for problem in errors:
        out.write_line(f"opscheck: {problem}; the verdict above stands", yellow=True)
    if run.gate is not None and run.gate[1] == "warn":
        warned = sum(f.outcome == "failed" for f in findings)
        out.write_line(
            f"opscheck: --fail-on {run.gate[0].lower()}: {warned} less severe findings reported "
            "as warnings; the run passes",
            yellow=True,
            bold=True,
        )
