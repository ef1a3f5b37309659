"""Print the checks and the evidence sources as Markdown tables: `python -m opscheck.table`.

Section, check, the cause it detects, its kind, the severities it can report and the
evidence it reads, taken from the checks themselves (collected, not run), so the
README's table cannot drift from the code: a test compares the two.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from opscheck.evidence import SOURCES
from opscheck.runbook import Scenario
from opscheck.session import MAPPING, SESSION

HEADER = (
    "| section | check | cause it detects | kind | severity | evidence |\n"
    "| --- | --- | --- | --- | --- | --- |"
)


class _Collector:
    def __init__(self) -> None:
        self.rows: list[str] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        book = session.config.stash[SESSION].run.runbook
        for item in session.items:
            found = item.stash.get(MAPPING, None)
            if found is None:
                continue
            place = book.place(found.section)
            section = place.name
            if isinstance(place, Scenario):
                cause = place.cause(found.cause).text if found.cause else "(symptom)"
            else:
                cause = "-"
            sources = (
                ", ".join(f"`{n}`" for n in item.fixturenames if n in SOURCES) or "the runbook"
            )
            self.rows.append(
                f"| {section} | `{item.name}` | {cause} | {found.kind} | "
                f"{'/'.join(found.severities)} | {sources} |"
            )


def sources() -> str:
    """Every evidence source, what it reads and the IAM actions it needs."""
    rows = [
        f"| `{s.name}` | {s.doc} | {', '.join(f'`{a}`' for a in s.actions) or 'HTTP only'} |"
        for s in sorted(SOURCES.values(), key=lambda s: s.name)
    ]
    return "\n".join(["| source | what it reads | IAM actions |", "| --- | --- | --- |", *rows])


def table(args: list[str] | None = None) -> str:
    collector = _Collector()
    code = pytest.main(
        ["--collect-only", "-q", "-p", "no:cacheprovider", *(args or [])], plugins=[collector]
    )
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(f"collection failed ({code})")
    return "\n".join([HEADER, *collector.rows])


def main(argv: list[str] | None = None) -> Any:
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        text = table(argv if argv is not None else sys.argv[1:])
    print(text)
    print()
    print(sources())


if __name__ == "__main__":
    main()
