"""Where a project keeps what opscheck reads, relative to its root (pytest's rootdir)."""

from pathlib import Path

RUNBOOK = Path("runbook/incident-response.md")
CATALOG = Path("fixtures/faults")
CHECKS = Path("checks")
