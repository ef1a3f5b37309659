"""The README's tables are the checks' own: printed from the code, compared here."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_readme_tables_match_the_checks():
    printed = subprocess.run(
        [sys.executable, "-m", "opscheck.table"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    inside = readme.split("<!-- table:begin -->\n")[1].split("\n<!-- table:end -->")[0]
    assert inside.strip() == printed, "README tables are stale: run python -m opscheck.table"
