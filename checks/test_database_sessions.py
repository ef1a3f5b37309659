"""Inside the database: connections, long statements, lock waits, transactions left open.

Read over a direct, read-only connection (`[postgres]`, evidence `postgres`), where the
runner reaches the database; without one these checks are not configured. They see what
CloudWatch cannot: who holds the connections, which statement holds the lock others wait
on, which session sits idle inside a transaction. Connections count over the whole server
(max_connections is the server's); sessions are those of the application's database.
"""

from __future__ import annotations

import pytest

from opscheck import fail, inconclusive


def _connected(pg):
    """The evidence of a connection that was made, or inconclusive naming why not."""
    if pg.refused is not None:
        inconclusive(f"PostgreSQL at {pg.server} refused opscheck's connection: {pg.refused}")
    return pg


def _who(session):
    app = f" ({session.application})" if session.application else ""
    return f"pid {session.pid} {session.user or '?'}{app}"


def _statement(session):
    return f"`{session.query}`" if session.query else "(no statement text: grant pg_monitor)"


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="too-many-connections")
def test_postgres_connections_below_limit(postgres):
    """'Too many connections': once the connections reach max_connections less those reserved
    for superusers, PostgreSQL refuses the application (and refused opscheck, if it did)."""
    pg = postgres
    if pg.refused is not None:
        fail(
            f"PostgreSQL at {pg.server} refused a new connection: {pg.refused}: the "
            "application is refused too",
            "P0",
        )
    usable = pg.usable_connections
    assert pg.connected < usable, (
        f"PostgreSQL at {pg.server} has {pg.connected} connections "
        f"({', '.join(f'{n} {s}' for s, n in sorted(pg.connections.items()))}) of "
        f"max_connections {pg.max_connections} less {pg.superuser_reserved} reserved for "
        "superusers: new connections are refused"
    )


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", cause="database-connection-pool-exhausted")
def test_postgres_connections_leave_pool_headroom(postgres, thresholds):
    """Scenario 2's 'Database connection pool exhausted', counted inside the database: above
    `rds_connections_ratio` of what the application may open, its pools cannot grow. At
    the limit itself it is scenario 3's check (P0), so one cause is not reported twice."""
    pg = _connected(postgres)
    usable = pg.usable_connections
    if pg.connected >= usable:
        return  # refused already: test_postgres_connections_below_limit reports it
    ratio = thresholds.rds_connections_ratio
    assert pg.connected < ratio * usable, (
        f"PostgreSQL at {pg.server} has {pg.connected} of {usable} connections the application "
        f"may open ({pg.connected / usable:.0%}, above {ratio:.0%}): its pools have no headroom"
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="unoptimized-database-query")
def test_no_lock_waits(postgres, thresholds):
    """Sessions waiting on a lock longer than `pg_lock_wait_s`, and the statements that hold
    it: one slow statement inside a transaction stalls every request touching its rows."""
    pg = _connected(postgres)
    limit = thresholds.pg_lock_wait_s
    waiting = [
        s for s in pg.sessions if s.blocked_by and s.wait == "Lock" and (s.query_s or 0) > limit
    ]
    if not waiting:
        return
    blockers = {pid for s in waiting for pid in s.blocked_by}
    # The sessions at the head of the queue: blockers not themselves waiting on a lock.
    held = [b for b in map(pg.by_pid, sorted(blockers)) if b is not None and not b.blocked_by]
    named = "; ".join(
        f"{_who(b)}, in its transaction for {b.transaction_s or 0:.0f} s, running {_statement(b)}"
        for b in held
        if b is not None
    )
    oldest = max(s.query_s or 0 for s in waiting)
    fail(
        f"PostgreSQL database {pg.database}: {len(waiting)} sessions wait on locks (the oldest "
        f"{oldest:.0f} s, limit {limit:g} s), held by {named or ', '.join(map(str, blockers))}: "
        "end or fix the holding statement (pg_terminate_backend(pid) releases its locks)",
        "P2",
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="unoptimized-database-query")
def test_no_long_running_statements(postgres, thresholds):
    """'Unoptimized database query': statements running longer than `pg_long_query_s`.
    Sessions waiting on a lock are left to the lock check: they are its victims."""
    pg = _connected(postgres)
    limit = thresholds.pg_long_query_s
    slow = [
        s
        for s in pg.sessions
        if s.state == "active" and s.wait != "Lock" and (s.query_s or 0) > limit
    ]
    detail = "; ".join(f"{_who(s)} for {s.query_s:.0f} s: {_statement(s)}" for s in slow[:3])
    assert not slow, (
        f"PostgreSQL database {pg.database}: {len(slow)} statements running longer than "
        f"{limit:g} s: {detail}"
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="unoptimized-database-query")
def test_no_sessions_idle_in_transaction(postgres, thresholds):
    """A transaction left open and idle longer than `pg_idle_in_transaction_s` holds its
    locks, a pooled connection and vacuum's horizon: an application that forgot to commit."""
    pg = _connected(postgres)
    limit = thresholds.pg_idle_in_transaction_s
    idle = [
        s
        for s in pg.sessions
        if (s.state or "").startswith("idle in transaction") and s.state_s > limit
    ]
    detail = "; ".join(
        f"{_who(s)} idle for {s.state_s:.0f} s after {_statement(s)}" for s in idle[:3]
    )
    assert not idle, (
        f"PostgreSQL database {pg.database}: {len(idle)} sessions idle in a transaction longer "
        f"than {limit:g} s: {detail}"
    )
