"""CONTRIBUTING.md names files that exist: a move or a rename must take the guide along."""

from __future__ import annotations

import re

from tests.helpers import ROOT


def test_the_files_contributing_names_exist():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    named = {
        path
        for path in re.findall(r"`([\w./-]+)`", text)
        if "/" in path or path.endswith((".py", ".md", ".toml"))
    }
    assert {"tests/helpers.py", "src/opscheck/fixtures.py", "docs/faults.md"} <= named
    assert sorted(p for p in named if not (ROOT / p).exists()) == []
