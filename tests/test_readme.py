"""The README's tables are the checks' own: printed from the code, compared here."""

from __future__ import annotations

from tests.helpers import generated


def test_readme_tables_match_the_checks():
    printed, inside = generated("opscheck.table", "README.md", "table")
    assert inside == printed, "README tables are stale: run python -m opscheck.table"
