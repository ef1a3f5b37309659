"""`--incident NAME` in a run: the record it reads, the checks it adds, the run it records.

Registered by the plugin only when `--incident` is given, beside the run's `CheckSession`.
While the incident is open, the checks that verify its resolution (`lifecycle.verifies`)
run whatever marker or `-k` the user chose: they are put back after pytest deselected them,
and the header says how many. The evidence of every run is saved, redacted, into the
record folder, so `--evidence` replays any moment of the incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from opscheck.evidence.collect import Evidence
from opscheck.findings import Finding
from opscheck.incident import lifecycle, log, observe, record
from opscheck.incident.record import Record
from opscheck.reports import RunContext
from opscheck.reports import incident as start_report
from opscheck.runbook import Runbook


@dataclass(frozen=True)
class Outcome:
    """What a run did to the incident, for the terminal."""

    lines: list[str]  # the messages and notes, ready to print
    written: list[Path]
    problem: str | None = None  # why the record could not be written


class IncidentTracker:
    """The incident a run belongs to, from its record folder."""

    def __init__(
        self, name: str, report_dir: Path, runbook: Runbook, start: datetime | None
    ) -> None:
        self.name = name
        self.folder = record.folder(report_dir, name)  # RecordError for a bad name
        self.record: Record | None = record.load(self.folder)  # RecordError when corrupted
        self.runbook = runbook
        self.start = start  # --incident-start, used when this run opens the incident
        self._deselected: list[pytest.Item] = []
        self.added: list[str] = []  # checks put back to verify the resolution

    @property
    def started_at(self) -> datetime | None:
        """When the incident began: its record's start, else --incident-start."""
        return self.record.started_at if self.record else self.start

    def pytest_report_header(self) -> list[str]:
        if self.record is None:
            return [f"opscheck: incident {self.name}: no record yet; a failing run opens it"]
        state = "open" if self.record.open else f"resolved {self.record.resolved_at:%H:%M} UTC"
        lines = [
            f"opscheck: incident {self.name} ({state}) since "
            f"{self.record.started_at:%Y-%m-%d %H:%M} UTC, {len(self.record.entries)} runs "
            f"recorded in {self.folder}"
        ]
        if self.start is not None and self.start != self.record.started_at:
            lines.append(
                f"opscheck: --incident-start {self.start:%Y-%m-%d %H:%M} UTC ignored: the record "
                "keeps the start it was opened with"
            )
        return lines

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self._deselected.extend(items)

    @pytest.hookimpl(trylast=True)  # after -m and -k have deselected
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Put back the checks that verify the open incident's resolution."""
        from opscheck.session import MAPPING

        back = [
            item
            for item in self._deselected
            if MAPPING in item.stash
            and lifecycle.verifies(
                self.record, self.runbook, item.stash[MAPPING].section, item.stash[MAPPING].kind
            )
            and item not in items
        ]
        items.extend(back)
        self.added = [item.name for item in back]
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if back and reporter is not None and "deselected" in reporter.stats:
            # pytest counted them as deselected: its "N deselected / M selected" must not.
            reporter.stats["deselected"] = [
                i for i in reporter.stats["deselected"] if i not in back
            ]
        if back and reporter is not None and not hasattr(config, "workerinput"):
            reporter.write_line(
                f"opscheck: incident {self.name}: {len(back)} checks added to verify its "
                f"resolution ({', '.join(self.added)})"
            )

    def advance(
        self, findings: list[Finding], run: RunContext, evidence: Evidence | None
    ) -> Outcome:
        """Record this run in the incident and say what it means: start, update, resolution."""
        if not run.complete:
            return Outcome([f"incident {self.name}: the run did not finish; record unchanged"], [])
        written: list[Path] = []
        path = record.evidence_path(self.folder, run.finished_at) if evidence else None
        opening = start_report.render(findings, run)
        step = lifecycle.advance(
            self.record,
            self.runbook,
            lifecycle.Observed(
                at=run.finished_at,
                findings=findings,
                state=observe.state_of(evidence),
                evidence=path.name if path else None,
                opening=opening.templates if opening else {},
            ),
            name=self.name,
            target=run.target.name,
            start=self.start,
        )
        if step is None:
            return Outcome([f"incident {self.name}: nothing failing; no incident opened"], [])
        try:
            if step.phase != "closed":
                if evidence is not None and path is not None:
                    evidence.save(path)  # first: the record then names a file that exists
                    written.append(path)
                written += record.save(
                    self.folder, step.record, log.render(step.record, self.runbook)
                )
                self.record = step.record
        except OSError as error:
            problem = f"could not write the incident record in {self.folder}: {error}"
            return Outcome([], written, problem)
        lines = [f"incident {self.name}: {step.phase}"]
        for title, text in step.messages.items():
            lines += ["", f"{title} (runbook template, filled in):"]
            lines += [f"    {line}" for line in text.splitlines()]
        lines += ["", *step.notes] if step.notes else []
        return Outcome(lines, written)
