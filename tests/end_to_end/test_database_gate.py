"""The deploy gate (`-m "readiness or health" --fail-on p1`) against the database: it blocks
on a failed migration and on unapplied ones, and prints the runbook's migration commands."""

from __future__ import annotations

import pytest

from tests.end_to_end.helpers import servers_or_skip
from tests.helpers import run_checks

GATE = ("-m", "readiness or health", "--fail-on", "p1")


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("migration-failed", "test_no_failed_migration"),
        ("migrations-unapplied", "test_repository_migrations_are_applied"),
    ],
)
def test_the_gate_blocks_on_migrations(tmp_path, fault, check):
    servers_or_skip(fault)
    result = run_checks(tmp_path, *GATE, "--simulate", fault)
    assert result.returncode == 1, result.output
    assert result.checks[check].outcome == "failed" and result.checks[check].severity == "P1"
    assert "./scripts/mcp prisma migrate status production" in result.output
    assert "./scripts/mcp prisma migrate rollback production" in result.output


def test_database_selects_the_direct_reads(tmp_path):
    servers_or_skip("migration-failed")
    result = run_checks(tmp_path, "-m", "database", "--simulate", "migration-failed")
    selected = set(result.checks)
    assert {"test_no_failed_migration", "test_no_lock_waits"} <= selected
    assert "test_redis_is_not_evicting" not in selected
