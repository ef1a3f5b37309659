"""The rollback readiness checks, on hand-built evidence and the real runbook."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from opscheck.evidence.ecs import Deployment, DeploymentSettings, EcsService
from opscheck.evidence.rds import RdsSnapshot, RdsSnapshots
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.runbook import load as load_runbook
from opscheck.runbook import parse as parse_runbook
from tests.checks.helpers import DB, MISSING, failure, inconclusive_reason, instance
from tests.helpers import NOW, ROOT, THRESHOLDS, load_checks
from tests.helpers import SIMULATED as TARGET

RUNBOOK = load_runbook(ROOT / "runbook/incident-response.md")
FAMILY = TARGET.ecs.task_family
ARN = f"arn:aws:ecs:us-east-2:123456789012:task-definition/{FAMILY}"


rollback = load_checks("test_rollback_readiness")


# -- rollback: task definitions --------------------------------------------------------------


def taskdefs(*active: int, current: int | None = 3) -> TaskDefinitions:
    arn = f"{ARN}:{current}" if current is not None else None
    return TaskDefinitions(family=FAMILY, active_revisions=active, current_arn=arn)


def deployment(revision: int, status: str, rollout: str | None) -> Deployment:
    return Deployment(
        id=f"ecs-svc/{revision}",
        status=status,
        task_definition=f"{ARN}:{revision}",
        desired=2,
        running=2,
        pending=0,
        rollout_state=rollout,
    )


def service(*deployments: Deployment, **settings: Any) -> EcsService:
    breaker = {"circuit_breaker": True, "circuit_breaker_rollback": True} | settings
    return EcsService(
        cluster=TARGET.ecs.cluster,
        name=TARGET.ecs.service,
        status="ACTIVE",
        deployments=deployments or (deployment(3, "PRIMARY", "COMPLETED"),),
        settings=DeploymentSettings(**breaker),
    )


def test_previous_revision_exists_records_the_rollback() -> None:
    recorded: dict[str, str] = {}
    rollback.test_previous_revision_exists(taskdefs(1, 2, 3), lambda k, v: recorded.update({k: v}))
    assert recorded == {"rollback_to": f"{FAMILY}:2"}


def test_no_previous_revision_fails() -> None:
    error = failure(rollback.test_previous_revision_exists, taskdefs(3), lambda k, v: None)
    assert "older than the running :3 (ACTIVE: 3)" in str(error)


def test_no_running_revision_is_inconclusive() -> None:
    reason = inconclusive_reason(
        rollback.test_previous_revision_exists, taskdefs(1, 2, current=None), lambda k, v: None
    )
    assert "runs no task definition" in reason


def test_runbook_revision_matches_the_previous_one() -> None:
    rollback.test_runbook_rollback_revision_is_previous(RUNBOOK, taskdefs(1, 2, 3), service())


def test_runbook_revision_stale_gives_the_real_command() -> None:
    error = failure(
        rollback.test_runbook_rollback_revision_is_previous,
        RUNBOOK,
        taskdefs(1, 2, 3, 4, current=4),
        service(deployment(4, "PRIMARY", "COMPLETED")),
    )
    message = str(error)
    assert "Option 1: Via ECS (fastest) says :2" in message
    assert "1. All ECS Tasks Down, If bad deployment says :2" in message
    assert f"--task-definition {FAMILY}:3 --force-new-deployment" in message
    assert f"{FAMILY}:2" not in message


def test_runbook_revision_with_nothing_to_roll_back_to() -> None:
    error = failure(
        rollback.test_runbook_rollback_revision_is_previous, RUNBOOK, taskdefs(3), service()
    )
    assert "no ACTIVE revision is older than :3" in str(error)


@pytest.mark.parametrize(
    "deployments",
    [
        # A rollout of :4 under way: :3 still serves and is the last good revision.
        (deployment(4, "PRIMARY", "IN_PROGRESS"), deployment(3, "ACTIVE", "COMPLETED")),
        # The circuit breaker rolling back from :4 to :3.
        (deployment(3, "PRIMARY", "IN_PROGRESS"), deployment(4, "ACTIVE", "FAILED")),
    ],
)
def test_unfinished_rollout_is_measured_from_the_last_good_revision(
    deployments: tuple[Deployment, ...],
) -> None:
    current = 4 if deployments[0].task_definition.endswith(":4") else 3
    rollback.test_runbook_rollback_revision_is_previous(
        RUNBOOK, taskdefs(1, 2, 3, 4, current=current), service(*deployments)
    )


def test_runbook_without_a_hard_coded_revision_passes() -> None:
    text = (ROOT / "runbook/incident-response.md").read_text(encoding="utf-8")
    edited = parse_runbook(text.replace("saaspe-production-backend:2", "saaspe-production-backend"))
    assert rollback.rollback_revisions(edited) == []
    rollback.test_runbook_rollback_revision_is_previous(edited, taskdefs(3), service())


# -- rollback: circuit breaker, backups ------------------------------------------------------


@pytest.mark.parametrize(
    ("enabled", "rolls_back", "says"),
    [(False, False, "disabled, rollback off"), (True, False, "enabled, rollback off")],
)
def test_circuit_breaker_must_roll_back(enabled: bool, rolls_back: bool, says: str) -> None:
    rollback.test_circuit_breaker_rolls_back(service())
    bad = service(circuit_breaker=enabled, circuit_breaker_rollback=rolls_back)
    assert says in str(failure(rollback.test_circuit_breaker_rolls_back, bad))


def test_circuit_breaker_of_a_missing_service_is_inconclusive() -> None:
    gone = EcsService(cluster="c", name="s", status="MISSING", missing_reason="MISSING")
    assert "not found" in inconclusive_reason(rollback.test_circuit_breaker_rolls_back, gone)


def test_backup_retention() -> None:
    rollback.test_automated_backups_retained(instance(), THRESHOLDS)
    error = failure(
        rollback.test_automated_backups_retained, instance(backup_retention_days=1), THRESHOLDS
    )
    assert "kept 1 days (at least 7 expected)" in str(error)
    error = failure(
        rollback.test_automated_backups_retained, instance(backup_retention_days=0), THRESHOLDS
    )
    assert "automated backups are off" in str(error)
    reason = inconclusive_reason(rollback.test_automated_backups_retained, MISSING, THRESHOLDS)
    assert "not found" in reason


def snapshots(*ages_h: float) -> RdsSnapshots:
    return RdsSnapshots(
        instance=DB,
        read_at=NOW,
        snapshots=tuple(
            RdsSnapshot(
                identifier=f"rds:{DB}-{i}",
                kind="automated",
                status="available",
                created_at=NOW - timedelta(hours=age),
            )
            for i, age in enumerate(ages_h)
        ),
    )


def test_recent_snapshot() -> None:
    rollback.test_recent_snapshot_exists(snapshots(72, 3), THRESHOLDS)
    rollback.test_recent_snapshot_exists(snapshots(24), THRESHOLDS)  # the boundary
    error = failure(rollback.test_recent_snapshot_exists, snapshots(72, 30), THRESHOLDS)
    assert "30.0 h old" in str(error) and "at most 25.5 h" in str(error)
    assert "no available snapshot" in str(
        failure(rollback.test_recent_snapshot_exists, snapshots(), THRESHOLDS)
    )
    creating = RdsSnapshots(
        instance=DB,
        read_at=NOW,
        snapshots=(RdsSnapshot(identifier="s", kind="manual", status="creating", created_at=NOW),),
    )
    failure(rollback.test_recent_snapshot_exists, creating, THRESHOLDS)


def test_deletion_protection() -> None:
    rollback.test_deletion_protection_on(instance())
    error = failure(rollback.test_deletion_protection_on, instance(deletion_protection=False))
    assert "deletion protection off" in str(error)
    assert "not found" in inconclusive_reason(rollback.test_deletion_protection_on, MISSING)
