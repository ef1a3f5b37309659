"""The shipped runbook, its text, and where a snippet of it is."""

from __future__ import annotations

from tests.helpers import ROOT

RUNBOOK = ROOT / "runbook" / "incident-response.md"
TEXT = RUNBOOK.read_text(encoding="utf-8")


def line_of(text: str, snippet: str) -> int:
    assert text.count(snippet) == 1, f"{snippet!r} is not unique in the runbook"
    return text[: text.index(snippet)].count("\n") + 1
