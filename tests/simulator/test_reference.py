"""The fault file reference (docs/faults.md) matches the effects."""

from __future__ import annotations

from opscheck.simulator.catalog import load as load_catalog
from tests.helpers import ROOT, generated


def test_fault_file_reference_matches_the_effects():
    printed, inside = generated("opscheck.simulator.reference", "docs/faults.md", "faults")
    assert inside == printed, "docs/faults.md is stale: run python -m opscheck.simulator.reference"
    documented = {line[5:-1] for line in printed.splitlines() if line.startswith("### `")}
    catalog = load_catalog(ROOT / "fixtures/faults")
    assert {key for fault in catalog.values() for key in fault.effects} <= documented
