"""The direct database checks (connections, locks, long statements, idle transactions,
migrations) on hand-built evidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opscheck.evidence.postgres import Migration, Postgres, RepositoryMigration, Session
from opscheck.outcomes import Failure, Inconclusive, NotConfigured
from tests.helpers import THRESHOLDS, load_checks, thresholds

sessions = load_checks("test_database_sessions")
migrations = load_checks("test_migrations")
STARTED = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def pg(**fields: object) -> Postgres:
    values: dict[str, object] = {
        "server": "db:5432/app as opscheck",
        "database": "app",
        "max_connections": 100,
        "superuser_reserved": 3,
        "connections": {"idle": 20, "active": 2},
    }
    return Postgres(**(values | fields))


def test_connections_at_the_limit_are_p0_and_a_refusal_too():
    sessions.test_postgres_connections_below_limit(pg())
    with pytest.raises(AssertionError, match=r"97 connections .* new connections are refused"):
        sessions.test_postgres_connections_below_limit(pg(connections={"idle": 96, "active": 1}))
    with pytest.raises(Failure, match="refused a new connection: too many clients") as refused:
        sessions.test_postgres_connections_below_limit(pg(refused="too many clients already"))
    assert refused.value.severity == "P0"
    with pytest.raises(Inconclusive, match="refused opscheck's connection"):
        sessions.test_no_lock_waits(pg(refused="too many clients already"), THRESHOLDS)


def test_pool_headroom_fails_above_the_ratio_and_leaves_the_limit_to_scenario_3():
    sessions.test_postgres_connections_leave_pool_headroom(pg(), THRESHOLDS)
    with pytest.raises(AssertionError, match="90 of 97 connections"):
        sessions.test_postgres_connections_leave_pool_headroom(
            pg(connections={"idle": 90}), THRESHOLDS
        )
    sessions.test_postgres_connections_leave_pool_headroom(pg(connections={"idle": 97}), THRESHOLDS)


def test_a_lock_wait_names_the_head_of_the_queue_not_its_victims():
    holder = Session(pid=1, state="active", query_s=90, transaction_s=95, query="SELECT slow()")
    first = Session(pid=2, state="active", wait="Lock", query_s=30, blocked_by=(1,), query="U1")
    second = Session(pid=3, state="active", wait="Lock", query_s=20, blocked_by=(2,), query="U2")
    evidence = pg(sessions=(holder, first, second))
    with pytest.raises(Failure, match=r"2 sessions wait on locks .*pid 1 .*SELECT slow\(\)") as f:
        sessions.test_no_lock_waits(evidence, THRESHOLDS)
    assert "pid 2" not in str(f.value) and f.value.severity == "P2"
    # The waiters are the lock check's: the long statement check names the holder only.
    with pytest.raises(AssertionError, match=r"1 statements running longer .* pid 1 "):
        sessions.test_no_long_running_statements(evidence, THRESHOLDS)


def test_idle_in_transaction_counts_only_past_the_threshold():
    young = Session(pid=1, state="idle in transaction", state_s=10, query="SELECT 1")
    old = Session(pid=2, state="idle in transaction (aborted)", state_s=900, query="SELECT 2")
    limits = thresholds(pg_idle_in_transaction_s=300.0)
    sessions.test_no_sessions_idle_in_transaction(pg(sessions=(young,)), limits)
    with pytest.raises(AssertionError, match=r"1 sessions idle .* pid 2 .* after `SELECT 2`"):
        sessions.test_no_sessions_idle_in_transaction(pg(sessions=(young, old)), limits)


def migration(name: str, checksum: str = "a" * 64, **fields: object) -> Migration:
    done = {"finished_at": STARTED} | fields
    return Migration(name=name, checksum=checksum, started_at=STARTED, **done)


def test_not_a_prisma_database_is_not_configured():
    with pytest.raises(NotConfigured, match="not a Prisma database: no _prisma_migrations"):
        migrations.test_no_failed_migration(pg())


def test_a_failed_migration_is_p1_with_its_logs_and_a_rolled_back_one_is_not():
    rolled_back = migration("1", finished_at=None, rolled_back_at=STARTED)
    migrations.test_no_failed_migration(pg(migrations=(rolled_back,)))
    failed = migration("2_add", finished_at=None, logs="ERROR:  duplicate column")
    with pytest.raises(Failure, match=r"1 Prisma migrations failed .*2_add.*duplicate column") as f:
        migrations.test_no_failed_migration(pg(migrations=(rolled_back, failed)))
    assert f.value.severity == "P1"


def test_repository_migrations_missing_or_edited_fail_and_a_failed_one_is_left_out():
    repository = (
        RepositoryMigration(name="1", checksums=("a" * 64, "b" * 64)),
        RepositoryMigration(name="2", checksums=("c" * 64,)),
        RepositoryMigration(name="3", checksums=("d" * 64,)),
        RepositoryMigration(name="4", checksums=("e" * 64,)),
    )
    applied = (
        migration("1", "b" * 64),  # the CRLF checksum: the same file
        migration("2", "f" * 64),
        migration("3", finished_at=None),
    )
    evidence = pg(migrations=applied, repository=repository, repository_folder="prisma/migrations")
    with pytest.raises(AssertionError) as found:
        migrations.test_repository_migrations_are_applied(evidence)
    message = str(found.value)
    assert (
        "1 not applied (4)" in message
        and "1 applied from a migration.sql edited since (2)" in message
    )
    with pytest.raises(NotConfigured, match=r"no \[postgres\] migrations folder"):
        migrations.test_repository_migrations_are_applied(pg(migrations=applied))
