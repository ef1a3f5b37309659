"""The one error of the runbook package: the runbook is not shaped as expected."""

from __future__ import annotations


class RunbookError(ValueError):
    """The runbook is not shaped as expected.

    Carries the path and 1-based line so an editor can jump straight to the problem;
    line 0 means the file as a whole.
    """

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message
