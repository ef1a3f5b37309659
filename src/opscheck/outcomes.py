"""The third outcome: a check that could not look is inconclusive, never a pass."""

from __future__ import annotations

from typing import NoReturn


class Inconclusive(Exception):
    """Raised when a check cannot decide; the run reports it and fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inconclusive(reason: str) -> NoReturn:
    """Stop the current check as inconclusive, saying what could not be seen."""
    raise Inconclusive(reason)
