"""Writing the reports: each on its own, so one that cannot be written spoils no other."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from opscheck.findings import Finding
from opscheck.reports import RunContext, incident, markdown, summary

RUN_FILES = ("summary.json", "summary.md", "incident.md")  # what one run writes, whole
ALLURE_RESULTS = "allure-results"


def prepare(folder: Path, *, clear: bool) -> str | None:
    """Make the report folder ready before any check runs; return why it is not, never raise.

    With `clear` (the main process, once), the previous run's reports go first: a summary
    left behind by an earlier run must never read as this run's verdict.
    """
    try:
        if clear:
            shutil.rmtree(folder / ALLURE_RESULTS, ignore_errors=True)
            for name in RUN_FILES:
                (folder / name).unlink(missing_ok=True)
        folder.mkdir(parents=True, exist_ok=True)  # allure-pytest makes its own, when it runs
    except OSError as error:
        return (
            f"cannot use the report folder {folder}: {error.strerror or error}; the checks run "
            "and the verdict stands, but no report is written (choose another with --report-dir)"
        )
    return None


def write_all(
    findings: list[Finding], run: RunContext, folder: Path
) -> tuple[list[Path], list[str]]:
    """Write every report into `folder`; return what was written and what could not be."""
    written: list[Path] = []
    errors: list[str] = []

    def attempt(path: Path, text: str | None) -> None:
        try:
            if text is None:
                path.unlink(missing_ok=True)  # a passing run leaves no stale incident behind
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        except OSError as error:
            errors.append(f"could not write {path}: {error.strerror or error}")

    body = markdown.render(findings, run)
    attempt(folder / "summary.json", json.dumps(summary.build(findings, run), indent=2) + "\n")
    attempt(folder / "summary.md", body)
    filled = incident.render(findings, run)
    attempt(folder / "incident.md", filled.markdown if filled else None)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        _append(Path(step_summary), body, errors.append)
    return written, errors


def _append(path: Path, text: str, error: Callable[[str], None]) -> None:
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(text + "\n")
    except OSError as problem:
        error(f"could not append to $GITHUB_STEP_SUMMARY ({path}): {problem.strerror or problem}")
