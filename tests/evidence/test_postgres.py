"""The postgres source against a real PostgreSQL the tests start: what it reads, and what it
says when it cannot connect. No mock: the server's own answers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest

from opscheck.evidence import Unavailable, gather
from opscheck.evidence.postgres import Postgres, checksums, connect
from opscheck.simulator.databases import PRISMA_TABLE, record_migration, with_database
from opscheck.target import PostgresConfig, Target, remember_password
from tests.helpers import SIMULATED, context, unused_port

PASSWORD = "s3cret-Opscheck-pw"  # the test role's, on a server of the test's own
_names = itertools.count()


def target(variable: str = "OPSCHECK_TEST_DSN", migrations: str | None = None) -> Target:
    """The simulated names, as a live target reading [postgres] from `variable`."""
    config = PostgresConfig(dsn_env=variable, migrations=migrations)
    return SIMULATED.model_copy(update={"postgres": config, "simulator": None})


def read(url: str, monkeypatch: pytest.MonkeyPatch, **config: str) -> Postgres | Unavailable:
    monkeypatch.setenv("OPSCHECK_TEST_DSN", url)
    remember_password(url)  # as loading an environment file does
    evidence = gather(["postgres"], context(target(**config), f"http://127.0.0.1:{unused_port()}"))
    return evidence.values["postgres"]


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own, and a monitoring role with a password to read it as."""
    name = f"t{next(_names)}_{id(object())}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        admin.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'monitor') THEN "
            f"CREATE ROLE monitor LOGIN PASSWORD '{PASSWORD}' IN ROLE pg_monitor; END IF; END $$"
        )
    yield with_database(postgres_url, name)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def as_monitor(url: str, password: str = PASSWORD) -> str:
    return url.replace("postgres@", f"monitor:{password}@")


def test_reads_settings_connections_and_no_prisma_table(database, monkeypatch):
    pg = read(as_monitor(database), monkeypatch)
    assert isinstance(pg, Postgres), pg
    assert pg.max_connections == 100 and pg.superuser_reserved == 3
    assert pg.connections.get("active", 0) >= 1  # its own
    assert pg.migrations is None and pg.sessions == ()
    assert PASSWORD not in pg.server and "monitor" in pg.server


def test_sees_lock_waits_their_blocker_and_idle_transactions(database, monkeypatch):
    with psycopg.connect(database, autocommit=True) as setup:
        setup.execute("CREATE TABLE t (id int PRIMARY KEY, n int, note text)")
        setup.execute("INSERT INTO t VALUES (1, 0)")
    holder = psycopg.connect(database)
    waiter = psycopg.connect(database, autocommit=True)
    idle = psycopg.connect(database)
    held_by, waits = holder.info.backend_pid, waiter.info.backend_pid
    try:
        holder.execute("UPDATE t SET n = 1, note = 'pw=Hunter2-sim' WHERE id = 1")
        waiter.pgconn.send_query(b"UPDATE t SET n = 2 WHERE id = 1")
        idle.execute("SELECT 1")
        pg = read(as_monitor(database), monkeypatch)
    finally:
        for c in (holder, waiter, idle):
            c.close()
    assert isinstance(pg, Postgres), pg
    by_pid = {s.pid: s for s in pg.sessions}
    assert by_pid[waits].wait == "Lock" and by_pid[waits].blocked_by == (held_by,)
    assert by_pid[held_by].state == "idle in transaction"
    # What a statement writes or matches may be a password or personal data: masked.
    assert by_pid[held_by].query == "UPDATE t SET n = 1, note = '?' WHERE id = 1"


def test_reads_prisma_migrations_and_the_repository_folder(database, monkeypatch, tmp_path):
    folder = tmp_path / "prisma" / "migrations"
    for name, sql in (("1_init", b"CREATE TABLE a ();\r\n"), ("2_b", b"CREATE TABLE b ();\n")):
        (folder / name).mkdir(parents=True)
        (folder / name / "migration.sql").write_bytes(sql)
    with psycopg.connect(database, autocommit=True) as db:
        db.execute(PRISMA_TABLE)
        # Recorded with LF endings, checked out with CRLF: Prisma takes it as the same file.
        record_migration(db, "1_init", checksums(b"CREATE TABLE a ();\n")[0])
        record_migration(db, "2_b", "0" * 64, finished=False, logs="ERROR: boom")
        db.execute("GRANT SELECT ON _prisma_migrations TO monitor")
    pg = read(as_monitor(database), monkeypatch, migrations=str(folder))
    assert isinstance(pg, Postgres), pg
    assert [m.name for m in pg.migrations] == ["1_init", "2_b"]
    assert [m.failed for m in pg.migrations] == [False, True]
    assert pg.migrations[1].logs == "ERROR: boom"
    first = pg.repository[0]
    assert first.name == "1_init" and pg.migrations[0].checksum in first.checksums


def test_the_connection_refuses_writes(database):
    """Read-only at the server: the same connection opscheck reads with cannot write."""
    with connect(as_monitor(database), 2) as connection:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("CREATE TABLE must_not_exist (id int)")
        assert connection.execute("SHOW statement_timeout").fetchone()[0] == "5s"


def test_a_wrong_password_is_inconclusive_and_never_shown(database, monkeypatch, tmp_path):
    wrong = "Wr0ng-Password-Here"
    value = read(as_monitor(database, wrong), monkeypatch)
    assert isinstance(value, Unavailable) and not value.not_configured
    assert "could not connect to PostgreSQL at 127.0.0.1:" in value.reason
    assert "password authentication failed" in value.reason
    evidence = gather(["postgres"], context(target(), f"http://127.0.0.1:{unused_port()}"))
    evidence.save(tmp_path / "ev.json")
    assert wrong not in value.reason and wrong not in (tmp_path / "ev.json").read_text()


def test_an_unreachable_server_is_inconclusive(monkeypatch):
    url = f"postgresql://monitor:{PASSWORD}@127.0.0.1:{unused_port()}/app"
    value = read(url, monkeypatch)
    assert isinstance(value, Unavailable) and not value.not_configured
    assert "could not connect to PostgreSQL at 127.0.0.1:" in value.reason
    assert "Connection refused" in value.reason and PASSWORD not in value.reason


def test_not_configured_without_the_table_inconclusive_without_the_variable(monkeypatch):
    live = SIMULATED.model_copy(update={"simulator": None, "postgres": None})
    ctx = context(live, "http://127.0.0.1:9")
    absent = gather(["postgres"], ctx).values["postgres"]
    assert isinstance(absent, Unavailable) and absent.not_configured
    assert "no [postgres] table" in absent.reason
    monkeypatch.delenv("OPSCHECK_UNSET_DSN", raising=False)
    unset = gather(["postgres"], context(target("OPSCHECK_UNSET_DSN"), "http://127.0.0.1:9"))
    value = unset.values["postgres"]
    assert isinstance(value, Unavailable) and not value.not_configured
    assert "OPSCHECK_UNSET_DSN is not set" in value.reason
