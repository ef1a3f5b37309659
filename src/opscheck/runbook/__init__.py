"""The incident-response runbook: its model, and the parser that builds it from Markdown.

Callers import from here (`from opscheck.runbook import load, Runbook`); which module of
the package holds a name is the package's own business. The parser (and markdown-it with
it) is imported on first use: a run whose runbook is in the cache (`cache.load`) never
needs it.
"""

from typing import Any

from opscheck.runbook.errors import RunbookError
from opscheck.runbook.model import (
    Branch,
    Cause,
    Command,
    EscalationLevel,
    Maintenance,
    Procedure,
    Runbook,
    Scenario,
    Section,
    Severity,
    Template,
)

__all__ = [
    "Branch",
    "Cause",
    "Command",
    "EscalationLevel",
    "Maintenance",
    "Procedure",
    "Runbook",
    "RunbookError",
    "Scenario",
    "Section",
    "Severity",
    "Template",
    "load",
    "parse",
]


def __getattr__(name: str) -> Any:
    if name in ("load", "parse"):
        import opscheck.runbook.parse as parser  # binds this package's `parse` to the module

        globals().update(load=parser.load, parse=parser.parse)  # so bind both to functions
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
