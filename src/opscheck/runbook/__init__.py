"""The incident-response runbook: its model, and the parser that builds it from Markdown.

Callers import from here (`from opscheck.runbook import load, Runbook`); which module of
the package holds a name is the package's own business.
"""

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
from opscheck.runbook.parse import RunbookError, load, parse

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
