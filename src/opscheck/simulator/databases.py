"""The simulated production's PostgreSQL and Redis: real servers, one per simulator process.

Started once when the simulator boots (a fork server's servers serve every simulator it
forks, one run after another), when their binaries are installed (`servers`); otherwise
the simulation has none, and the checks of [postgres] and [redis] are not configured.

Each run gets a clean state, whatever the run before it staged:
- PostgreSQL: a database of its own, copied from a template seeded once with Prisma's
  `_prisma_migrations` (every migration of the target's `[postgres] migrations` folder,
  applied) and an `accounts` table; dropped when the run closes. The sessions a fault
  holds are the run process's own connections, which end with it.
- Redis: emptied, its limits restored and its statistics reset when a run opens, then
  given traffic (hits and a few misses).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from opscheck.evidence.postgres import repository_migrations
from opscheck.simulator.servers import Server, ServerUnavailable, start_postgres, start_redis
from opscheck.target import Target

TEMPLATE = "saaspe"
# Small enough that a fault fills it quickly; superuser_reserved_connections stays 3.
MAX_CONNECTIONS = 30
REDIS_MAXMEMORY = "64mb"
APP = "saaspe-backend"  # the application_name of the simulated application's sessions

PRISMA_TABLE = """
CREATE TABLE _prisma_migrations (
    id varchar(36) PRIMARY KEY,
    checksum varchar(64) NOT NULL,
    finished_at timestamptz,
    migration_name varchar(255) NOT NULL,
    logs text,
    rolled_back_at timestamptz,
    started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count integer NOT NULL DEFAULT 0
)
"""


def record_migration(
    connection: Any,
    name: str,
    checksum: str,
    *,
    finished: bool = True,
    logs: str | None = None,
    minutes_ago: float = 60.0,
) -> None:
    """Write a `_prisma_migrations` row as `prisma migrate deploy` does: a finished one, or
    one it started and left (failed, with its error in `logs`)."""
    connection.execute(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at,"
        " finished_at, applied_steps_count)"
        " VALUES (gen_random_uuid()::text, %s, %s, %s, now() - make_interval(secs => %s),"
        " CASE WHEN %s THEN now() - make_interval(secs => %s) + interval '2 seconds' END, %s)",
        (checksum, name, logs, minutes_ago * 60, finished, minutes_ago * 60, int(finished)),
    )


def seed_template(url: str, target: Target) -> None:
    """The database every run copies: Prisma's table with the repository's migrations
    applied, and a table the application's traffic (and the lock fault) touches."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {TEMPLATE}")
    with psycopg.connect(with_database(url, TEMPLATE), autocommit=True) as db:
        db.execute(PRISMA_TABLE)
        db.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL)")
        db.execute("INSERT INTO accounts SELECT n, 100 FROM generate_series(1, 100) n")
        folder = target.postgres.migrations_folder(target.path) if target.postgres else None
        applied = repository_migrations(folder) if folder is not None else ()
        for age, migration in enumerate(reversed(applied), start=1):
            record_migration(db, migration.name, migration.checksums[0], minutes_ago=age * 1440)


def with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{database}"


@dataclass
class Databases:
    """This simulator process's servers, or none when their binaries are missing."""

    postgres: Server | None = None
    redis: Server | None = None
    missing: list[str] = field(default_factory=list)  # why a server is absent
    run_database: str | None = None

    @classmethod
    def start(cls, target: Target) -> Databases:
        started = cls()
        if target.postgres is not None:
            try:
                started.postgres = start_postgres(max_connections=str(MAX_CONNECTIONS))
            except ServerUnavailable as missing:
                started.missing.append(str(missing))
            else:
                try:
                    seed_template(started.postgres.url, target)
                except BaseException:
                    started.postgres.stop()
                    raise
        if target.redis is not None:
            try:
                started.redis = start_redis(maxmemory=REDIS_MAXMEMORY)
            except ServerUnavailable as missing:
                started.missing.append(str(missing))
            else:
                import redis  # noqa: F401 (imported once here, not in every forked run)
        return started

    def open_run(self) -> dict[str, str | None]:
        """A clean database and Redis for one run: their URLs, None for a server absent."""
        urls: dict[str, str | None] = {"postgres": None, "redis": None}
        if self.postgres is not None:
            import psycopg

            self.run_database = f"run_{os.getpid()}"
            with psycopg.connect(self.postgres.url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {self.run_database} WITH (FORCE)")
                admin.execute(f"CREATE DATABASE {self.run_database} TEMPLATE {TEMPLATE}")
            urls["postgres"] = with_database(self.postgres.url, self.run_database)
        if self.redis is not None:
            urls["redis"] = self.redis.url
            reset_redis(self.redis.url)
        return urls

    def close_run(self) -> None:
        """Drop the run's database, ending the sessions a fault held in it. The server may be
        gone already (a fork server stopped before the simulator it forked): nothing to drop."""
        if self.postgres is not None and self.run_database is not None:
            import psycopg

            with (
                contextlib.suppress(psycopg.OperationalError),
                psycopg.connect(self.postgres.url, autocommit=True, connect_timeout=5) as db,
            ):
                db.execute(f"DROP DATABASE IF EXISTS {self.run_database} WITH (FORCE)")
            self.run_database = None

    def stop(self) -> None:
        for server in (self.postgres, self.redis):
            if server is not None:
                server.stop()


def reset_redis(url: str) -> None:
    """Empty Redis, restore its limits, reset its counters, then serve some traffic:
    200 keys, 180 lookups that hit and 20 that miss (a 90% hit rate)."""
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushall()
        client.config_set("maxmemory", REDIS_MAXMEMORY)
        client.config_set("maxmemory-policy", "allkeys-lru")
        client.config_resetstat()
        pipe = client.pipeline(transaction=False)
        for n in range(200):
            pipe.set(f"session:{n}", "x" * 64)
        for n in range(180):
            pipe.get(f"session:{n}")
        for n in range(20):
            pipe.get(f"missing:{n}")
        pipe.execute()
