"""Gathering evidence: each needed source once, all at the same time, under one deadline.

A source that fails becomes `Unavailable(reason)` rather than an exception, so one
denied permission or one slow endpoint makes the checks that need it inconclusive
and leaves every other check its answer. Evidence is plain JSON: saved, it can be
replayed later with no network at all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opscheck.aws import explain
from opscheck.evidence.base import (
    SOURCES,
    Context,
    Model,
    NotConfigured,
    Source,
    SourceUnavailable,
    Unavailable,
)
from opscheck.redact import redact, redact_json

SCHEMA = 1


class EvidenceFileError(ValueError):
    """A saved evidence file cannot be read back."""


@dataclass
class Evidence:
    """The evidence of one run: a model or an `Unavailable` for each source gathered."""

    target: str
    collected_at: datetime
    values: dict[str, Model | Unavailable]
    duration_s: float = 0.0
    api_calls: dict[str, int] = field(default_factory=dict)
    replayed_from: str | None = None
    # The thresholds in force when it was read: a replay judges by them, as the run did.
    thresholds: dict[str, Any] | None = None

    def get(self, name: str) -> Model | Unavailable:
        if name not in self.values:
            where = f"the saved evidence {self.replayed_from}" if self.replayed_from else "this run"
            return Unavailable(f"{name} was not gathered in {where}")
        return self.values[name]

    def to_json(self) -> dict[str, Any]:
        sources: dict[str, Any] = {}
        for name, value in sorted(self.values.items()):
            if isinstance(value, Unavailable):
                sources[name] = {"unavailable": value.reason, "permission": value.permission}
                if value.not_configured:
                    sources[name]["not_configured"] = True
            else:
                sources[name] = {"value": value.model_dump(mode="json")}
        return {
            "schema": SCHEMA,
            "target": self.target,
            "collected_at": self.collected_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            "api_calls": dict(sorted(self.api_calls.items())),
            "thresholds": self.thresholds,
            "sources": sources,
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = redact_json(self.to_json())  # values are redacted already; reasons too
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Evidence:
        """Read saved evidence; a file that is not opscheck evidence is an EvidenceFileError."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise EvidenceFileError(f"{path}: no such evidence file") from None
        except (OSError, json.JSONDecodeError) as error:
            raise EvidenceFileError(f"{path}: not readable as JSON evidence: {error}") from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise EvidenceFileError(
                f"{path}: expected opscheck evidence with schema {SCHEMA} "
                "(written by --save-evidence)"
            )
        values: dict[str, Model | Unavailable] = {}
        part = "'collected_at'"
        try:
            collected_at = datetime.fromisoformat(data["collected_at"])
            for name, entry in data["sources"].items():
                part = f"source {name!r}"
                if name not in SOURCES:
                    raise EvidenceFileError(f"{path}: unknown source {name!r}")
                if "unavailable" in entry:
                    values[name] = Unavailable(
                        entry["unavailable"],
                        entry.get("permission"),
                        bool(entry.get("not_configured", False)),
                    )
                else:
                    values[name] = SOURCES[name].model.model_validate(entry["value"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # ValidationError is a ValueError: every malformed part lands here.
            raise EvidenceFileError(f"{path}: {part} is malformed: {error}") from None
        return cls(
            target=str(data.get("target", "?")),
            collected_at=collected_at,
            values=values,
            duration_s=float(data.get("duration_s", 0.0)),
            api_calls=dict(data.get("api_calls", {})),
            replayed_from=str(path),
            thresholds=data.get("thresholds") if isinstance(data.get("thresholds"), dict) else None,
        )

    @staticmethod
    def saved_target(path: Path) -> str | None:
        """The name of the environment a saved evidence file was read from, if it says."""
        try:
            name = json.loads(path.read_text(encoding="utf-8")).get("target")
        except (OSError, ValueError, AttributeError):
            return None  # Evidence.load says what is wrong with the file
        return name if isinstance(name, str) and name not in ("", "?") else None


def _failed_action(error: Exception, src: Source) -> str | None:
    """The source's IAM action an AWS error answered, whichever thread made the call: a
    source may read on several at once (`ecs.stopped_tasks`)."""
    operation = getattr(error, "operation_name", None)
    return next((a for a in src.actions if a.endswith(f":{operation}")), None)


def _fetch(name: str, ctx: Context) -> Model | Unavailable:
    """Read one source, redacted where it enters: checks, reports and saved files see no secret."""
    src = SOURCES[name]
    ctx.aws.forget_action()
    try:
        value = src.fetch(ctx)
    except NotConfigured as error:
        return Unavailable(redact(str(error)), not_configured=True)
    except SourceUnavailable as error:
        return Unavailable(redact(str(error)), error.permission)
    except Exception as error:  # every failure of a read becomes a visible Unavailable
        action = (
            _failed_action(error, src)
            or ctx.aws.last_action()
            or (src.actions[0] if src.actions else name)
        )
        reason, permission = explain(error, action)
        return Unavailable(redact(reason), permission)
    return type(value).model_validate(redact_json(value.model_dump(mode="json")))


def gather(names: Iterable[str], ctx: Context, deadline_s: float = 30.0) -> Evidence:
    """Read the named sources concurrently; whatever is not back by the deadline is Unavailable.

    Each source reads in a daemon thread: a read still hanging at the deadline, or when the
    user presses Ctrl-C, is left behind rather than waited for (with its retries) at exit.
    """
    names = sorted(set(names))
    started = time.perf_counter()
    values: dict[str, Model | Unavailable] = {}
    finished = threading.Condition()

    def read(name: str) -> None:
        value = _fetch(name, ctx)
        with finished:
            values[name] = value
            finished.notify()

    for name in names:
        threading.Thread(target=read, args=(name,), name=f"evidence-{name}", daemon=True).start()
    deadline = time.monotonic() + deadline_s
    with finished:
        while len(values) < len(names) and (left := deadline - time.monotonic()) > 0:
            finished.wait(left)
        late = [name for name in names if name not in values]
        for name in late:
            values[name] = Unavailable(
                f"{name} did not answer within the {deadline_s:g} s deadline"
            )
        read_values = dict(values)
    return Evidence(
        target=ctx.target.name,
        collected_at=ctx.now,
        values=read_values,
        duration_s=time.perf_counter() - started,
        api_calls=dict(ctx.aws.calls),
        thresholds=ctx.target.thresholds.model_dump(mode="json"),
    )


def now() -> datetime:
    return datetime.now(UTC)
