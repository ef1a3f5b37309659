"""Evidence from inside PostgreSQL: connections, sessions, locks and Prisma's migrations.

Optional: only runners that reach the database (a self-hosted runner in the VPC, a laptop
on the VPN) can read it, so `[postgres] dsn_env` names the variable holding its URL, and
without the table the checks are not configured. The connection is read-only at the
server (`default_transaction_read_only=on`, which a monitoring role makes certain: see
`opscheck.database_role`), every statement is cut off by `statement_timeout`, and only the
fixed statements below are ever sent. No AWS action is used.

`_prisma_migrations` is Prisma Migrate's own table. A row started and neither finished nor
rolled back is a failed migration (`prisma migrate status` says "failed"); its checksum is
the SHA-256 of the migration's `migration.sql`, compared whatever the line endings, as
Prisma does (prisma-engines, `checksum.rs`: `script_matches_checksum`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from opscheck.evidence.base import Context, Model, SourceUnavailable, source
from opscheck.redact import sql

STATEMENT_TIMEOUT_MS = 5000
MAX_SESSIONS = 50  # the oldest busy sessions kept; enough to name culprits, bounded
QUERY_CHARS = 300
# SQLSTATE 53300 too_many_connections, and the texts libpq gives when it has no code.
TOO_MANY = ("53300", "too many clients", "remaining connection slots are reserved")

SETTINGS = """
SELECT current_setting('server_version'), current_setting('max_connections')::int,
       current_setting('superuser_reserved_connections')::int, current_database()
"""
CONNECTIONS = """
SELECT coalesce(state, 'unknown'), count(*)::int FROM pg_stat_activity
WHERE backend_type = 'client backend' GROUP BY 1
"""
# Sessions of this database doing something or holding a transaction open, oldest first.
SESSIONS = f"""
SELECT pid, usename, application_name, state,
       extract(epoch FROM now() - state_change)::float8,
       extract(epoch FROM now() - query_start)::float8,
       extract(epoch FROM now() - xact_start)::float8,
       wait_event_type, left(query, {QUERY_CHARS}), pg_blocking_pids(pid)
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND datname = current_database()
  AND pid <> pg_backend_pid() AND state <> 'idle'
ORDER BY xact_start NULLS LAST LIMIT {MAX_SESSIONS}
"""
HAS_MIGRATIONS = "SELECT to_regclass('_prisma_migrations') IS NOT NULL"
MIGRATIONS = """
SELECT migration_name, checksum, started_at, finished_at, rolled_back_at, applied_steps_count,
       left(logs, 500)
FROM _prisma_migrations ORDER BY started_at, migration_name
"""
STATEMENTS = (SETTINGS, CONNECTIONS, SESSIONS, HAS_MIGRATIONS, MIGRATIONS)


class Session(Model):
    """A session of the database that is not idle: running, waiting or inside a transaction."""

    pid: int
    user: str | None = None
    application: str | None = None
    state: str | None = None  # active, idle in transaction, idle in transaction (aborted)...
    state_s: float = 0.0  # seconds in that state
    query_s: float | None = None  # seconds since its current (or last) statement began
    transaction_s: float | None = None
    wait: str | None = None  # wait_event_type: Lock when it waits on a lock
    query: str = ""
    blocked_by: tuple[int, ...] = ()


class Migration(Model):
    """A row of `_prisma_migrations`."""

    name: str
    checksum: str
    started_at: datetime
    finished_at: datetime | None = None
    rolled_back_at: datetime | None = None
    applied_steps: int = 0
    logs: str | None = None

    @property
    def failed(self) -> bool:
        """Started and neither finished nor rolled back: `prisma migrate status` says failed."""
        return self.finished_at is None and self.rolled_back_at is None


class RepositoryMigration(Model):
    """A migration of the repository's `prisma/migrations` folder, with the checksums its
    `migration.sql` may have been recorded with (as written, with LF and with CRLF endings)."""

    name: str
    checksums: tuple[str, ...]


class Postgres(Model):
    server: str  # host:port/database, never the password
    refused: str | None = None  # the server refused opscheck's connection: too many clients
    version: str | None = None
    database: str | None = None
    max_connections: int | None = None
    superuser_reserved: int | None = None
    # Client connections of the whole server, by state.
    connections: dict[str, int] = Field(default_factory=dict)
    sessions: tuple[Session, ...] = ()
    migrations: tuple[Migration, ...] | None = None  # None: no _prisma_migrations table
    repository: tuple[RepositoryMigration, ...] | None = None  # None: [postgres] migrations unset
    repository_folder: str | None = None

    @property
    def connected(self) -> int:
        return sum(self.connections.values())

    @property
    def usable_connections(self) -> int | None:
        """What non-superusers (the application) may open: the rest is reserved."""
        if self.max_connections is None or self.superuser_reserved is None:
            return None
        return self.max_connections - self.superuser_reserved

    def by_pid(self, pid: int) -> Session | None:
        return next((s for s in self.sessions if s.pid == pid), None)


def describe(url: str) -> str:
    """Where a URL points, as `host:port/database (user)`: what messages may name."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # a malformed URL: said without quoting it
        return "(a URL that is not a PostgreSQL connection string)"
    where = f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"
    return f"{where} as {parts['user']}" if parts.get("user") else where


def checksums(script: bytes) -> tuple[str, ...]:
    """The checksums Prisma accepts for a migration script: as written, LF, CRLF."""
    lf = script.replace(b"\r\n", b"\n")
    variants = dict.fromkeys((script, lf, lf.replace(b"\n", b"\r\n")))
    return tuple(hashlib.sha256(v).hexdigest() for v in variants)


def repository_migrations(folder: Path) -> tuple[RepositoryMigration, ...]:
    """Every `<name>/migration.sql` of a Prisma migrations folder, by name."""
    if not folder.is_dir():
        raise SourceUnavailable(
            f"[postgres] migrations: no folder {folder}: set it to the repository's "
            "prisma/migrations folder, relative to the environment file"
        )
    found = sorted(p for p in folder.glob("*/migration.sql") if p.is_file())
    return tuple(
        RepositoryMigration(name=p.parent.name, checksums=checksums(p.read_bytes())) for p in found
    )


def connect(url: str, timeout_s: int) -> Any:
    """A read-only connection: the server refuses writes and stops any statement after
    STATEMENT_TIMEOUT_MS; autocommit, so opscheck never sits idle in a transaction."""
    import psycopg

    return psycopg.connect(
        url,
        connect_timeout=timeout_s,
        autocommit=True,
        application_name="opscheck",
        options=(
            f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS} "
            "-c lock_timeout=1000"
        ),
    )


def _session(row: tuple[Any, ...]) -> Session:
    pid, user, app, state, state_s, query_s, xact_s, wait, query, blockers = row
    return Session(
        pid=pid,
        user=user,
        application=app or None,
        state=state,
        state_s=round(state_s or 0.0, 3),
        query_s=None if query_s is None else round(query_s, 3),
        transaction_s=None if xact_s is None else round(xact_s, 3),
        wait=wait,
        query=sql(query or ""),
        blocked_by=tuple(blockers or ()),
    )


def _migration(row: tuple[Any, ...]) -> Migration:
    name, checksum, started, finished, rolled_back, steps, logs = row
    return Migration(
        name=name,
        checksum=checksum,
        started_at=started,
        finished_at=finished,
        rolled_back_at=rolled_back,
        applied_steps=steps or 0,
        logs=logs,
    )


@source("postgres")
def postgres(ctx: Context) -> Postgres:
    """Inside the database, read-only: connections, busy sessions, lock waits, migrations."""
    import psycopg

    config, target = ctx.target.postgres, ctx.target
    url = ctx.direct_url(
        "postgres", "pip install -e '.[simulate]' (Linux x86_64) or apt-get install postgresql"
    )
    assert config is not None
    server = describe(url)
    folder = config.migrations_folder(target.path)
    repository = repository_migrations(folder) if folder is not None else None
    try:
        connection = connect(url, config.connect_timeout_s)
    except psycopg.Error as error:
        text = str(error).strip()
        if getattr(error, "sqlstate", None) in TOO_MANY or any(t in text for t in TOO_MANY[1:]):
            return Postgres(server=server, refused=text.splitlines()[-1])
        first = " ".join(text.split())[:300] or type(error).__name__
        raise SourceUnavailable(
            f"could not connect to PostgreSQL at {server}: {first} (check [postgres] dsn_env's "
            "URL, the password, and that this runner reaches the database)"
        ) from None
    try:
        with connection:
            version, max_connections, reserved, database = connection.execute(SETTINGS).fetchone()
            connections = dict(connection.execute(CONNECTIONS).fetchall())
            sessions = tuple(_session(r) for r in connection.execute(SESSIONS).fetchall())
            migrations = None
            if connection.execute(HAS_MIGRATIONS).fetchone()[0]:
                migrations = tuple(_migration(r) for r in connection.execute(MIGRATIONS))
    except psycopg.Error as error:
        raise SourceUnavailable(
            f"PostgreSQL at {server} refused a read: {str(error).strip().splitlines()[0]} "
            "(the role needs pg_monitor and SELECT on _prisma_migrations: python -m "
            "opscheck.database_role)"
        ) from None
    return Postgres(
        server=server,
        version=version,
        database=database,
        max_connections=max_connections,
        superuser_reserved=reserved,
        connections=connections,
        sessions=sessions,
        migrations=migrations,
        repository=repository,
        repository_folder=str(folder) if folder is not None else None,
    )
