"""The fault catalog: what the simulated production can get wrong, as data.

One TOML file per area in `fixtures/faults/`. Each fault stages one of the runbook's
common causes (or a symptom alone), says which runbook section and cause it stages, at
which severity, and which checks a user should then see failing. Its other keys are
effects, applied by the simulator (`opscheck.simulator.effects`), which validates them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

ENVELOPE = {
    "summary",
    "scenario",
    "cause",
    "severity",
    "expect_failing",
    "expect_failing_elsewhere",
    "expect_inconclusive",
}


class Fault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    summary: str
    scenario: str  # scenario slug, or section anchor
    cause: str | None = None
    severity: str | None = None  # expected severity of the failures, if not the scenario's
    expect_failing: tuple[str, ...] = ()
    # Failures a fault brings about in another section, truly: after any deploy, say, the
    # runbook's hard-coded rollback revision is stale (Rollback Procedures).
    expect_failing_elsewhere: tuple[str, ...] = ()
    expect_inconclusive: tuple[str, ...] = ()  # checks that then cannot look (a 403, say)
    effects: dict[str, Any] = {}


class CatalogError(ValueError):
    """The catalog, or a fault asked of it, is not what the simulator can stage."""


def load(folder: Path) -> dict[str, Fault]:
    """Read every `*.toml` file of the catalog folder; fault names are unique across files."""
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise CatalogError(f"{folder}: no fault catalog here (expected *.toml files)")
    faults: dict[str, Fault] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(f"{path}: not valid TOML: {error}") from None
        for name, table in data.items():
            if name in faults:
                raise CatalogError(f"{path}: fault '{name}' is defined twice")
            envelope = {k: v for k, v in table.items() if k in ENVELOPE}
            effects = {k: v for k, v in table.items() if k not in ENVELOPE}
            try:
                faults[name] = Fault(name=name, effects=effects, **envelope)
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
