"""The fault file reference (docs/faults.md) matches the effects."""

from __future__ import annotations

import subprocess
import sys

from opscheck.simulator.catalog import load as load_catalog
from tests.helpers import ROOT


def test_fault_file_reference_matches_the_effects():
    printed = subprocess.run(
        [sys.executable, "-m", "opscheck.simulator.reference"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    doc = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    inside = doc.split("<!-- faults:begin -->\n")[1].split("\n<!-- faults:end -->")[0]
    assert inside.strip() == printed, (
        "docs/faults.md is stale: run python -m opscheck.simulator.reference"
    )
    documented = {line[5:-1] for line in printed.splitlines() if line.startswith("### `")}
    catalog = load_catalog(ROOT / "fixtures/faults")
    assert {key for fault in catalog.values() for key in fault.effects} <= documented
