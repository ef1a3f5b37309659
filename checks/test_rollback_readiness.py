"""Runbook section "Rollback Procedures": can we roll back when an incident needs it.

A deploy gate: before a deploy these say whether the runbook's rollback would work. The
backend rollback ("Option 1: Via ECS (fastest)") needs an older ACTIVE task definition
revision, the revision the runbook hard-codes to be that one, and ECS's circuit breaker to
roll back a failing deployment on its own. The database rollback ("Or restore from backup")
needs automated backups, a recent snapshot, and an instance nobody can delete by mistake.
"""

from __future__ import annotations

import re

import pytest

from opscheck import inconclusive
from opscheck.evidence.taskdefs import revision_of

SNAPSHOT_MARGIN_HOURS = 1.0  # for a snapshot to become available after its window

# Readiness is advice, not an incident: a rollback path missing predicts trouble, it is not
# trouble now. P2, so a deploy gate at --fail-on p1 reports it without blocking every deploy.
pytestmark = [pytest.mark.runbook("rollback-procedures", severity="P2"), pytest.mark.readiness]

TASK_DEFINITION = re.compile(r"--task-definition\s+(?P<family>[\w.-]+):(?P<revision>\d+)\b")


def rollback_revisions(runbook):
    """Every `--task-definition <family>:<N>` the runbook hard-codes: (where, N, command)."""
    found = []
    places = [
        (f"Rollback Procedures, {p.title}, {o.title}", o.commands)
        for p in runbook.rollback
        for o in p.options
    ] + [
        (f"{s.number}. {s.title}, {b.title}", b.commands)
        for s in runbook.scenarios
        for b in s.branches
    ]
    for where, commands in places:
        for command in commands:
            for match in TASK_DEFINITION.finditer(command.text):
                found.append((where, int(match["revision"]), _one_line(command.text)))
    return found


def test_previous_revision_exists(task_definitions, fact):
    """'Rollback to previous task definition' needs an ACTIVE revision older than the one
    running; the summary prints the runbook's rollback command with that revision."""
    td = task_definitions
    if td.current_revision is None:
        inconclusive(f"the service runs no task definition of {td.family}: nothing to compare")
    previous = td.previous_revision
    active = ", ".join(map(str, td.active_revisions)) or "none"
    assert previous is not None, (
        f"no ACTIVE revision of {td.family} older than the running :{td.current_revision} "
        f"(ACTIVE: {active}): nothing to roll back to"
    )
    fact("rollback_to", f"{td.family}:{previous}")


def test_runbook_rollback_revision_is_previous(runbook, task_definitions, ecs_service):
    """The runbook hard-codes `--task-definition saaspe-production-backend:2`: right only while
    :2 is the revision before the last good one. Every deploy makes it stale.

    The last good revision is the one running, or, while a rollout is unfinished, the
    oldest revision still serving: what the runbook's rollback is measured against in
    steady state, as a deploy gate sees it.
    """
    td = task_definitions
    if td.current_revision is None:
        inconclusive(f"the service runs no task definition of {td.family}: nothing to compare")
    good = _last_good_revision(ecs_service, td.current_revision)
    older = [r for r in td.active_revisions if r < good]
    expected = older[-1] if older else None
    wrong = [
        (where, rev, text) for where, rev, text in rollback_revisions(runbook) if rev != expected
    ]
    if not wrong:
        return
    places = "; ".join(f"{where} says :{rev}" for where, rev, _ in wrong)
    if expected is None:
        raise AssertionError(
            f"the runbook rolls back to a revision of {td.family} ({places}), but no ACTIVE "
            f"revision is older than :{good}: there is nothing to roll back to"
        )
    command = TASK_DEFINITION.sub(f"--task-definition {td.family}:{expected}", wrong[0][2])
    raise AssertionError(
        f"the runbook's rollback revision is stale ({places}); the revision before "
        f"{td.family}:{good} is :{expected}. Roll back with: {command}"
    )


def test_circuit_breaker_rolls_back(ecs_service):
    """A failing deployment is rolled back by ECS itself only with the deployment circuit
    breaker enabled and its rollback on; otherwise the runbook's manual rollback is all."""
    s = ecs_service
    if s.status == "MISSING":
        inconclusive(f"service {s.name} not found: no deployment configuration to read")
    breaker = s.settings
    assert breaker.circuit_breaker and breaker.circuit_breaker_rollback, (
        f"service {s.name}: deployment circuit breaker "
        f"{'enabled' if breaker.circuit_breaker else 'disabled'}, rollback "
        f"{'on' if breaker.circuit_breaker_rollback else 'off'}: a failing deployment is not "
        "rolled back automatically (expected both on)"
    )


def test_automated_backups_retained(rds_instance, thresholds):
    """'Or restore from backup': point-in-time restore reaches back only as far as automated
    backups are retained (0 days turns them off)."""
    db = rds_instance
    if db.missing:
        inconclusive(f"DB instance {db.identifier} not found: no backup settings to read")
    days, wanted = db.backup_retention_days, thresholds.backup_retention_days
    state = "automated backups are off" if days == 0 else f"backups are kept {days} days"
    assert days >= wanted, f"DB instance {db.identifier}: {state} (at least {wanted} expected)"


def test_recent_snapshot_exists(rds_snapshots, thresholds):
    """`db restore --snapshot <snapshot-id>` restores from a snapshot: a stale one loses the
    data written since it was taken. Automated snapshots are daily, in the backup window: the
    newest is allowed a day plus that window plus an hour to become available, or this would
    fail every day from its 24th hour until the next backup finishes."""
    snaps = rds_snapshots
    limit = thresholds.snapshot_max_age_hours + snaps.backup_window_hours + SNAPSHOT_MARGIN_HOURS
    newest = snaps.newest
    assert newest is not None, f"DB instance {snaps.instance} has no available snapshot to restore"
    age = (snaps.read_at - newest.created_at).total_seconds() / 3600
    assert age <= limit, (
        f"DB instance {snaps.instance}: newest snapshot {newest.identifier} ({newest.kind}) is "
        f"{age:.1f} h old, taken {newest.created_at:%Y-%m-%d %H:%M} UTC "
        f"(at most {limit:g} h expected)"
    )


def test_point_in_time_restore_is_current(rds_instance, thresholds):
    """'Or restore from backup' to a point in time: RDS can restore up to its latest
    restorable time, normally within the last five minutes; one far behind means the
    transaction logs stopped reaching the backups."""
    db = rds_instance
    if db.missing:
        inconclusive(f"DB instance {db.identifier} not found: no restore point to read")
    if db.backup_retention_days == 0:
        return  # no automated backups: test_automated_backups_retained says so
    if db.latest_restorable_time is None or db.read_at is None:
        inconclusive(f"RDS did not say how recent a restore of {db.identifier} can be")
    behind = (db.read_at - db.latest_restorable_time).total_seconds() / 60
    limit = thresholds.restorable_within_minutes
    assert behind <= limit, (
        f"DB instance {db.identifier}: the latest restorable time is {behind:.0f} min ago "
        f"({db.latest_restorable_time:%Y-%m-%d %H:%M} UTC; at most {limit} min expected)"
    )


@pytest.mark.runbook("rollback-procedures", severity="P3")
def test_deletion_protection_on(rds_instance):
    """A deleted instance takes its automated backups with it unless kept: with deletion
    protection off, one wrong command in an incident leaves nothing to roll back to."""
    db = rds_instance
    if db.missing:
        inconclusive(f"DB instance {db.identifier} not found: no setting to read")
    assert db.deletion_protection, f"DB instance {db.identifier} has deletion protection off"


def _one_line(command: str) -> str:
    return " ".join(command.replace("\\\n", " ").split())


def _last_good_revision(service, current: int) -> int:
    primary = service.primary
    if primary is None or primary.rollout_state in (None, "COMPLETED"):
        return current
    serving = [revision_of(d.task_definition) for d in service.deployments]
    return min(serving, default=current)
