"""The printed role, applied to a real PostgreSQL: enough for every read, refused any write."""

from __future__ import annotations

import psycopg
import pytest

from opscheck.database_role import main, sql
from opscheck.evidence.postgres import STATEMENTS, connect
from opscheck.simulator.databases import PRISMA_TABLE, with_database

PASSWORD = "Role-Test-Password-7"


@pytest.fixture
def as_role(postgres_url: str) -> str:
    """A Prisma database, the printed role created in it, and its URL."""
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS role_test WITH (FORCE)")
        admin.execute("DROP ROLE IF EXISTS opscheck_test")
        admin.execute("CREATE DATABASE role_test")
    url = with_database(postgres_url, "role_test")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(PRISMA_TABLE)
        for statement in sql("opscheck_test").split(";"):
            if statement.strip():
                db.execute(statement.replace("choose-a-password", PASSWORD))
    return url.replace("postgres@", f"opscheck_test:{PASSWORD}@")


def test_the_role_runs_every_statement_and_writes_nothing(as_role):
    with connect(as_role, 2) as connection:
        for statement in STATEMENTS:
            connection.execute(statement)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("DELETE FROM _prisma_migrations")
        # Even with read-only lifted for the session, the role may not write.
        connection.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("DELETE FROM _prisma_migrations")


def test_a_role_name_that_is_not_an_identifier_is_refused(capsys):
    assert main(["--role", "x; DROP TABLE y"]) == 2
    assert "not a plain lower-case SQL identifier" in capsys.readouterr().err
