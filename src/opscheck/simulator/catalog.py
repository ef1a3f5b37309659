"""The fault catalog: what the simulated production can get wrong, as data.

Each fault stages one of the runbook's common causes (or one symptom alone), says which
scenario and cause it stages, and which checks a user should then see failing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceChange(_Table):
    running: int | None = None
    pending: int | None = None
    failed_tasks: int | None = None
    rollout_state: str | None = None
    new_revision: bool = False


class StoppedTasksChange(_Table):
    count: int = Field(ge=1)
    stop_code: str
    reason: str
    exit_code: int | None = None
    container_reason: str | None = None


class TargetsChange(_Table):
    registered: int | None = Field(None, ge=0)
    state: str | None = None
    reason: str | None = None
    description: str | None = None


class HealthChange(_Table):
    status: int
    body: str = ""


class Fault(_Table):
    name: str
    summary: str
    scenario: str
    cause: str | None = None
    expect_failing: tuple[str, ...]
    service: ServiceChange | None = None
    stopped_tasks: StoppedTasksChange | None = None
    targets: TargetsChange | None = None
    alarms: dict[str, str] = {}
    health: HealthChange | None = None


class CatalogError(ValueError):
    """The catalog file, or a fault asked of it, is not what the simulator can stage."""


def load(path: Path) -> dict[str, Fault]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: no fault catalog here") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path}: not valid TOML: {error}") from None
    faults: dict[str, Fault] = {}
    for name, table in data.items():
        try:
            faults[name] = Fault.model_validate({"name": name, **table})
        except ValidationError as error:
            lines = [
                f"{path}: fault '{name}': '{'.'.join(map(str, e['loc']))}' {e['msg'].lower()}"
                for e in error.errors()
            ]
            raise CatalogError("\n".join(lines)) from None
    return faults


def select(catalog: dict[str, Fault], names: list[str]) -> list[Fault]:
    """Return the named faults, or a CatalogError naming the unknown ones and the known."""
    unknown = [n for n in names if n not in catalog]
    if unknown:
        raise CatalogError(
            f"unknown fault {', '.join(map(repr, unknown))}: expected one of "
            f"{', '.join(sorted(catalog))} (see --simulate list)"
        )
    return [catalog[n] for n in names]
