"""The fault catalog, the runbook, and what every run finds of this repository itself."""

from __future__ import annotations

from opscheck.runbook import load as load_runbook
from opscheck.simulator.catalog import load as load_catalog
from tests.helpers import ROOT

CATALOG = load_catalog(ROOT / "fixtures/faults")
# Findings of every run, healthy or not, that are true of this repository itself.
KNOWN = {
    # The shipped runbook's next review (2025-12-01) is past: a real finding, on every run.
    "test_runbook_review_is_not_overdue",
}
RUNBOOK = load_runbook(ROOT / "runbook/incident-response.md")


def servers_or_skip(fault: str) -> None:
    """A fault staged in the simulation's PostgreSQL or Redis needs their binaries: skipped
    without them (failed under CI, which installs them)."""
    from opscheck.simulator import servers
    from tests.helpers import without_server

    if not any(key.startswith(("postgres_", "redis_")) for key in CATALOG[fault].effects):
        return
    try:
        servers.find_postgres_bindir()
        servers.find_redis_server()
    except servers.ServerUnavailable as missing:
        without_server(missing)
