"""The incident record: one folder per incident under reports/incidents/<NAME>/.

`record.json` is the record as data (plain JSON, for people and tools), `incident.md` the
same incident as the runbook's messages and log, and `evidence-<time>.json` each run's
evidence, so `--evidence` replays any moment of the incident for the post-mortem. Every
file is written whole or not at all (a temporary file, then a rename): a run interrupted
half way leaves the previous run's record readable. Everything written is redacted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opscheck.redact import redact, redact_json

SCHEMA = 1
RECORD = "record.json"
LOG = "incident.md"
FOLDER = Path("incidents")  # inside the report folder
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class RecordError(ValueError):
    """A record that cannot be used: a bad name, or a file that is not a record."""


class Failing(BaseModel):
    """A check that failed (or could not look) in one run, as the runbook places it."""

    model_config = ConfigDict(frozen=True)

    check: str
    outcome: str  # failed or inconclusive
    severity: str
    section: str  # the runbook section's name, "1. All ECS Tasks Down"
    cause: str | None = None  # the runbook's words for the cause it detects
    message: str = ""


class State(BaseModel):
    """What the evidence showed of the things an on-call changes: deployments, counts, RDS.

    Kept in each entry, so the next run can say what changed without reading old files.
    """

    model_config = ConfigDict(frozen=True)

    primary: str | None = None  # the PRIMARY deployment's revision, "family:N"
    rollout: str | None = None  # its rolloutState
    others: tuple[str, ...] = ()  # revisions of the other deployments still running
    desired: int | None = None  # the service's desired count
    rds_status: str | None = None
    rds_reboots: tuple[datetime, ...] = ()  # RDS reboot events the evidence listed


class Entry(BaseModel):
    """One run under the incident."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    phase: str  # start, update, unverified, resolved
    failing: tuple[Failing, ...] = ()
    passing: tuple[str, ...] = ()  # checks observed passing in this run
    cause: str | None = None  # the cause identified by a cause-specific check, if any
    status: str = ""  # Current Status as the evidence showed it
    actions: tuple[str, ...] = ()  # what the evidence shows changed since the run before
    evidence: str | None = None  # this run's evidence file, relative to the record folder
    state: State | None = None
    messages: dict[str, str] = {}  # the runbook templates filled in this run, by template name


class Record(BaseModel):
    """The incident across runs: when it began, each run, and when it was resolved."""

    schema_: int = Field(SCHEMA, alias="schema")
    name: str
    target: str
    started_at: datetime
    sections: tuple[str, ...] = ()  # runbook scenario slugs whose health checks failed
    entries: tuple[Entry, ...] = ()
    resolved_at: datetime | None = None

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def cause(self) -> str | None:
        """The first cause identified, the one the Resolution message names as root cause."""
        return next((e.cause for e in self.entries if e.cause), None)

    @property
    def last(self) -> Entry | None:
        return self.entries[-1] if self.entries else None


def folder(report_dir: Path, name: str) -> Path:
    """The record folder of incident `name`; a name that is not a plain folder name is refused."""
    if not NAME.fullmatch(name):
        raise RecordError(
            f"--incident {name!r}: use letters, digits, '.', '_' or '-' (at most 64, not "
            "starting with a symbol), such as --incident db-outage-1126"
        )
    return report_dir / FOLDER / name


def load(where: Path) -> Record | None:
    """The record in the folder `where`, None when there is none yet."""
    path = where / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RecordError(_unusable(path, f"not readable as JSON: {error}")) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise RecordError(_unusable(path, f"not an opscheck incident record (schema {SCHEMA})"))
    try:
        return Record.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "the record"
        raise RecordError(_unusable(path, f"{place}: {first['msg']}")) from None


def _unusable(path: Path, why: str) -> str:
    return (
        f"{path}: {why}; the incident record cannot be read. Fix or move the file away, or "
        "name another incident with --incident"
    )


def save(where: Path, record: Record, log: str) -> list[Path]:
    """Write the record and its Markdown, each atomically; return the files written."""
    data = record.model_dump(mode="json", by_alias=True)
    text = json.dumps(redact_json(data), indent=2, ensure_ascii=False) + "\n"
    return [write_whole(where / RECORD, text), write_whole(where / LOG, redact(log))]


def write_whole(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder, then rename it:
    a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def evidence_path(where: Path, at: datetime) -> Path:
    """Where the evidence of a run at `at` goes: named by its time, so the files sort as the
    timeline does, and never over an earlier run's (two runs in one second are numbered)."""
    stem = f"evidence-{at:%Y%m%dT%H%M%SZ}"
    path, number = where / f"{stem}.json", 1
    while path.exists():
        number += 1
        path = where / f"{stem}-{number}.json"
    return path
