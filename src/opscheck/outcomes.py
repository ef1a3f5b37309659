"""How a check ends besides passing: failed at a severity, or inconclusive (never a pass)."""

from __future__ import annotations

from typing import NoReturn


class Inconclusive(Exception):
    """Raised when a check cannot decide; the run reports it and fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Failure(AssertionError):
    """A check's failure at the severity the measured value warrants."""

    def __init__(self, message: str, severity: str) -> None:
        super().__init__(message)
        self.severity = severity.upper()


class NotConfigured(Exception):
    """Raised when a check needs what the environment leaves out on purpose; it is skipped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inconclusive(reason: str) -> NoReturn:
    """Stop the current check as inconclusive, saying what could not be seen."""
    raise Inconclusive(reason)


def fail(message: str, severity: str) -> NoReturn:
    """Fail the current check at `severity` (one of those its runbook marker declares)."""
    raise Failure(message, severity)
