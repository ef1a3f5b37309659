"""Rollback Procedures, "Database Rollback: If migration failed": Prisma's migrations.

Read from `_prisma_migrations` over the direct, read-only connection (`[postgres]`). A
migration that started and neither finished nor was rolled back left the schema half
changed: the runbook's `prisma migrate status production` reports it, and its branch
decides between rolling it back and restoring a backup. Before a deploy, the migrations of
the repository's `prisma/migrations` folder (`[postgres] migrations`) must be applied as
written: one missing, or applied from a file edited since, means the code about to run
expects a schema the database does not have. Both are P1, so a deploy gate blocks on them.
"""

from __future__ import annotations

import pytest

from opscheck import fail
from opscheck.outcomes import NotConfigured

pytestmark = [pytest.mark.runbook("rollback-procedures", severity="P1"), pytest.mark.readiness]


def _migrations(postgres):
    if postgres.refused is not None:
        from opscheck import inconclusive

        inconclusive(f"PostgreSQL at {postgres.server} refused opscheck: {postgres.refused}")
    if postgres.migrations is None:
        raise NotConfigured(
            f"not a Prisma database: no _prisma_migrations table in {postgres.database} at "
            f"{postgres.server}"
        )
    return postgres.migrations


def test_no_failed_migration(postgres):
    """'If migration failed': a row started, not finished, not rolled back."""
    failed = [m for m in _migrations(postgres) if m.failed]
    if failed:
        latest = failed[-1]
        logs = " ".join((latest.logs or "no logs recorded").split())[:300]
        fail(
            f"{len(failed)} Prisma migrations failed in {postgres.database}: "
            + ", ".join(f"{m.name} (started {m.started_at:%Y-%m-%d %H:%M} UTC)" for m in failed)
            + f"; {latest.name} logs: {logs}",
            "P1",
        )


def test_repository_migrations_are_applied(postgres):
    """Every migration of `[postgres] migrations` applied, with the checksum of its file as it
    is now. A failed one is left to test_no_failed_migration."""
    applied = _migrations(postgres)
    if postgres.repository is None:
        raise NotConfigured(
            "no [postgres] migrations folder: set it to the repository's prisma/migrations "
            "to check that its migrations are applied before a deploy"
        )
    finished = {m.name: m for m in applied if m.finished_at is not None and not m.rolled_back_at}
    failed = {m.name for m in applied if m.failed}
    missing = [r.name for r in postgres.repository if r.name not in finished.keys() | failed]
    edited = [
        r.name
        for r in postgres.repository
        if r.name in finished and finished[r.name].checksum not in r.checksums
    ]
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} not applied ({', '.join(missing)}): run `prisma migrate deploy`"
        )
    if edited:
        problems.append(
            f"{len(edited)} applied from a migration.sql edited since ({', '.join(edited)}): "
            "checksums differ; restore the files as applied"
        )
    assert not problems, (
        f"migrations of {postgres.repository_folder} against {postgres.database}: "
        + "; ".join(problems)
    )
