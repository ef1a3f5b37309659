"""PostgreSQL: the run's own database, and the sessions and migrations faults stage in it
(evidence: `postgres`).

The database is seeded healthy by `opscheck.simulator.databases` (every repository
migration applied, an `accounts` table); these effects change it with real
sessions: connections that fill the server, a statement holding a row lock others wait
on, a transaction left idle, a migration Prisma left failed. PostgreSQL dates a session's
state itself, so after staging them the simulator waits until they are older than the
target's thresholds (the simulated environment sets them to a second) before it is ready.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from opscheck.simulator.catalog import Fault
from opscheck.simulator.databases import APP, record_migration
from opscheck.simulator.effects import Change, effect, finish
from opscheck.simulator.world import World

LONG_STATEMENT = b"SELECT pg_sleep(3600)"
SETTLE_MARGIN_S = 0.3


def _database(world: World, fault: Fault) -> str:
    if world.postgres_url is None:
        raise ValueError(
            f"fault '{fault.name}': the simulation runs no PostgreSQL here (install the "
            "'simulate' extra, or the target has no [postgres] table)"
        )
    return world.postgres_url


def _session(world: World, url: str, *, autocommit: bool = True) -> Any:
    """A connection of the simulated application, held until the run ends."""
    import psycopg

    connection = psycopg.connect(url, autocommit=autocommit, application_name=APP)
    world.sessions.append(connection)
    return connection


def _settle(world: World, seconds: float) -> None:
    world.settle_until = max(world.settle_until, time.monotonic() + seconds + SETTLE_MARGIN_S)


class MigrationsChange(Change):
    """Prisma's `_prisma_migrations` changed: a migration failed, some not applied, edited."""

    failed: str | None = None
    """A migration `prisma migrate deploy` started and left failed (its row unfinished,
    with an error in its logs); added if the repository has no migration of that name."""
    unapplied: list[str] = Field(default_factory=list)
    """Repository migrations whose rows are removed: not applied to the database."""
    edited: list[str] = Field(default_factory=list)
    """Migrations recorded with another checksum: their file was edited after they applied."""


@effect("postgres_migrations", MigrationsChange)
def change_migrations(world: World, change: MigrationsChange, fault: Fault) -> None:
    db = _session(world, _database(world, fault))
    for name in change.unapplied:
        db.execute("DELETE FROM _prisma_migrations WHERE migration_name = %s", (name,))
    for name in change.edited:
        db.execute(
            "UPDATE _prisma_migrations SET checksum = md5(checksum) || md5(migration_name)"
            " WHERE migration_name = %s",
            (name,),
        )
    if change.failed is not None:
        logs = (
            f'Database error code: 42701\nDatabase error:\nERROR: column "plan_tier" of '
            f'relation "accounts" already exists\nMigration: {change.failed}'
        )
        db.execute("DELETE FROM _prisma_migrations WHERE migration_name = %s", (change.failed,))
        record_migration(db, change.failed, "0" * 64, finished=False, logs=logs, minutes_ago=3)


class ConnectionsChange(Change):
    """The application's connections fill the server."""

    free: int = Field(1, ge=0)
    """Connections left of those non-superusers may open (max_connections less the reserved)."""


@effect("postgres_connections", ConnectionsChange)
def fill_connections(world: World, change: ConnectionsChange, fault: Fault) -> None:
    url = _database(world, fault)
    probe = _session(world, url)
    usable, in_use = probe.execute(
        "SELECT current_setting('max_connections')::int"
        " - current_setting('superuser_reserved_connections')::int,"
        " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
    ).fetchone()
    for _ in range(usable - in_use - change.free):
        _session(world, url)


class LockChange(Change):
    """A long statement holds a row lock inside its transaction; other sessions wait on it."""

    waiters: int = Field(2, ge=1)
    """Sessions waiting on the lock (each an UPDATE of the same row)."""


@effect("postgres_lock", LockChange)
def hold_lock(world: World, change: LockChange, fault: Fault) -> None:
    url = _database(world, fault)
    holder = _session(world, url, autocommit=False)
    holder.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 1")
    holder.pgconn.send_query(LONG_STATEMENT)  # runs on; the client does not wait for it
    for _ in range(change.waiters):
        waiter = _session(world, url)
        waiter.pgconn.send_query(b"UPDATE accounts SET balance = balance + 1 WHERE id = 1")
    thresholds = world.target.thresholds
    _settle(world, max(thresholds.pg_lock_wait_s, thresholds.pg_long_query_s))


class IdleInTransactionChange(Change):
    """Sessions that began a transaction, read, and neither committed nor rolled back."""

    sessions: int = Field(1, ge=1)
    """How many."""


@effect("postgres_idle_in_transaction", IdleInTransactionChange)
def leave_transactions_open(world: World, change: IdleInTransactionChange, fault: Fault) -> None:
    url = _database(world, fault)
    for _ in range(change.sessions):
        _session(world, url, autocommit=False).execute("SELECT sum(balance) FROM accounts")
    _settle(world, world.target.thresholds.pg_idle_in_transaction_s)


@finish
def settle(world: World) -> None:
    """Wait until the staged sessions are older than the thresholds that grade them."""
    left = world.settle_until - time.monotonic()
    if left > 0:
        time.sleep(left)
