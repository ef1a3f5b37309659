"""Scenario 3's database checks, scenario 2's pool check and the rollback readiness checks,
called on hand-built evidence; and the RDS sources read from moto and a local server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, read_actions
from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.ecs import Deployment, DeploymentSettings, EcsService
from opscheck.evidence.metrics import Metrics, Series
from opscheck.evidence.rds import (
    MaintenanceAction,
    RdsEvent,
    RdsEvents,
    RdsInstance,
    RdsMaintenance,
    RdsSnapshot,
    RdsSnapshots,
    default_max_connections,
    rds_events,
    rds_instance,
    rds_maintenance,
    rds_snapshots,
)
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.outcomes import Failure, Inconclusive
from opscheck.runbook import load as load_runbook
from opscheck.runbook import parse as parse_runbook
from opscheck.simulator.world import World
from opscheck.target import Target, load
from tests.conftest import Reply, Request, StartServer, load_checks

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
GIB = 1024**3
TARGET: Target = load("simulated", ROOT)
THRESHOLDS = TARGET.thresholds
DB = TARGET.rds.instance
RUNBOOK = load_runbook(ROOT / "runbook/incident-response.md")
FAMILY = TARGET.ecs.task_family
ARN = f"arn:aws:ecs:us-east-2:123456789012:task-definition/{FAMILY}"
CREDENTIALS = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}


db_checks = load_checks("test_database_unavailable")
rollback = load_checks("test_rollback_readiness")


def instance(**fields: Any) -> RdsInstance:
    values: dict[str, Any] = {
        "identifier": DB,
        "status": "available",
        "instance_class": "db.t4g.medium",
        "engine": "postgres",
        "allocated_storage_gib": 50,
        "max_allocated_storage_gib": 100,
        "multi_az": True,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "maintenance_window": "wed:06:38-wed:07:08",
    }
    return RdsInstance(**(values | fields))


MISSING = RdsInstance(identifier=DB, status="MISSING", missing_reason=f"DBInstance {DB} not found.")


def metrics(**values: float | None) -> Metrics:
    """One datapoint a minute for the last 15 minutes of each named series (None: no data)."""
    series = {}
    for key, value in values.items():
        points = [] if value is None else [NOW - timedelta(minutes=m) for m in range(15, 0, -1)]
        series[key] = Series(
            key=key,
            namespace="AWS/RDS",
            metric=key,
            stat="Maximum",
            period_s=60,
            dimensions={"DBInstanceIdentifier": DB},
            timestamps=tuple(points),
            values=tuple(value for _ in points) if value is not None else (),
        )
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=series)


def thresholds(**fields: Any) -> Any:
    return THRESHOLDS.model_copy(update=fields)


def events(*found: tuple[str, list[str]]) -> RdsEvents:
    return RdsEvents(
        instance=DB,
        window_minutes=60,
        events=tuple(
            RdsEvent(date=NOW - timedelta(minutes=5), message=m, categories=tuple(c))
            for m, c in found
        ),
    )


def failure(check: Any, *args: Any) -> Failure | AssertionError:
    with pytest.raises(AssertionError) as raised:
        check(*args)
    return raised.value


def inconclusive_reason(check: Any, *args: Any) -> str:
    with pytest.raises(Inconclusive) as raised:
        check(*args)
    return raised.value.reason


# -- max_connections -------------------------------------------------------------------------


def test_default_max_connections_from_class_memory() -> None:
    assert default_max_connections("db.t4g.medium") == 405  # 4 GiB * 0.9 / 9531392
    assert default_max_connections("db.t3.micro") == 101
    assert default_max_connections("db.r6g.4xlarge") == 5000  # capped
    assert default_max_connections("db.x2g.large") is None


# -- status ----------------------------------------------------------------------------------


def test_available_instance_passes_the_status_checks() -> None:
    db = instance()
    db_checks.test_rds_instance_is_available(db)
    db_checks.test_rds_instance_is_not_rebooting(db)
    db_checks.test_rds_instance_is_not_storage_full(db)


def test_missing_instance_is_a_finding() -> None:
    error = failure(db_checks.test_rds_instance_is_available, MISSING)
    assert f"DB instance {DB} does not exist" in str(error)
    db_checks.test_rds_instance_is_not_rebooting(MISSING)
    db_checks.test_rds_instance_is_not_storage_full(MISSING)


@pytest.mark.parametrize("status", ["rebooting", "maintenance", "upgrading"])
def test_rebooting_status_fails_symptom_and_cause(status: str) -> None:
    db = instance(status=status)
    assert status in str(failure(db_checks.test_rds_instance_is_available, db))
    error = failure(db_checks.test_rds_instance_is_not_rebooting, db)
    assert f"is {status}" in str(error) and "wed:06:38" in str(error)
    db_checks.test_rds_instance_is_not_storage_full(db)


def test_storage_full_status_fails_its_cause_only() -> None:
    db = instance(status="storage-full", max_allocated_storage_gib=None)
    assert "storage-full" in str(failure(db_checks.test_rds_instance_is_available, db))
    error = failure(db_checks.test_rds_instance_is_not_storage_full, db)
    assert "50 GiB allocated, autoscaling is off" in str(error)
    db_checks.test_rds_instance_is_not_rebooting(db)


# -- free storage ----------------------------------------------------------------------------


def test_free_storage_above_minimum_passes() -> None:
    db_checks.test_rds_free_storage_above_minimum(
        instance(), metrics(rds_free_storage=35 * GIB), THRESHOLDS
    )


def test_low_storage_with_autoscaling_headroom_is_p2() -> None:
    error = failure(
        db_checks.test_rds_free_storage_above_minimum,
        instance(),
        metrics(rds_free_storage=3 * GIB),
        THRESHOLDS,
    )
    assert isinstance(error, Failure) and error.severity == "P2"
    assert "3.0 GiB free of 50 GiB (6%, at least 10% expected)" in str(error)
    assert "can still grow it by 50 GiB (to 100 GiB)" in str(error)


@pytest.mark.parametrize("ceiling", [None, 50])
def test_low_storage_without_headroom_is_p0(ceiling: int | None) -> None:
    error = failure(
        db_checks.test_rds_free_storage_above_minimum,
        instance(max_allocated_storage_gib=ceiling),
        metrics(rds_free_storage=0.05 * GIB),
        THRESHOLDS,
    )
    assert isinstance(error, Failure) and error.severity == "P0"
    assert ("is off" if ceiling is None else "at its ceiling of 50 GiB") in str(error)


def test_free_storage_boundary_is_the_threshold() -> None:
    at = metrics(rds_free_storage=5 * GIB)  # exactly 10% of 50 GiB
    db_checks.test_rds_free_storage_above_minimum(instance(), at, THRESHOLDS)
    with pytest.raises(Failure):
        db_checks.test_rds_free_storage_above_minimum(
            instance(), metrics(rds_free_storage=5 * GIB - 1), THRESHOLDS
        )


def test_free_storage_inconclusive_without_datapoints_or_instance() -> None:
    reason = inconclusive_reason(
        db_checks.test_rds_free_storage_above_minimum,
        instance(),
        metrics(rds_free_storage=None),
        THRESHOLDS,
    )
    assert "no datapoints" in reason
    reason = inconclusive_reason(
        db_checks.test_rds_free_storage_above_minimum,
        MISSING,
        metrics(rds_free_storage=3 * GIB),
        THRESHOLDS,
    )
    assert "not found" in reason


# -- connections -----------------------------------------------------------------------------


def test_connections_well_below_limit_pass_both_checks() -> None:
    evidence = metrics(rds_connections=40)
    db_checks.test_rds_connections_below_limit(instance(), evidence, THRESHOLDS)
    db_checks.test_rds_connections_leave_pool_headroom(instance(), evidence, THRESHOLDS)


def test_connections_at_the_limit_are_too_many_connections_only() -> None:
    evidence = metrics(rds_connections=402)  # 405 less 3 reserved
    error = failure(db_checks.test_rds_connections_below_limit, instance(), evidence, THRESHOLDS)
    assert "402 connections" in str(error) and "405 max_connections" in str(error)
    assert "db.t4g.medium" in str(error)
    db_checks.test_rds_connections_leave_pool_headroom(instance(), evidence, THRESHOLDS)


def test_connections_above_ratio_are_pool_exhaustion_only() -> None:
    evidence = metrics(rds_connections=380)
    db_checks.test_rds_connections_below_limit(instance(), evidence, THRESHOLDS)
    error = failure(
        db_checks.test_rds_connections_leave_pool_headroom, instance(), evidence, THRESHOLDS
    )
    assert "380 of 405 max_connections" in str(error) and "above 90%" in str(error)


def test_pool_ratio_boundary() -> None:
    limit = thresholds(rds_max_connections=100)
    db_checks.test_rds_connections_leave_pool_headroom(
        instance(), metrics(rds_connections=89), limit
    )
    with pytest.raises(AssertionError):
        db_checks.test_rds_connections_leave_pool_headroom(
            instance(), metrics(rds_connections=90), limit
        )
    db_checks.test_rds_connections_below_limit(instance(), metrics(rds_connections=96), limit)
    with pytest.raises(AssertionError):
        db_checks.test_rds_connections_below_limit(instance(), metrics(rds_connections=97), limit)


def test_configured_max_connections_wins_over_the_class_default() -> None:
    error = failure(
        db_checks.test_rds_connections_below_limit,
        instance(instance_class="db.x2g.large"),
        metrics(rds_connections=60),
        thresholds(rds_max_connections=60),
    )
    assert "thresholds.rds_max_connections" in str(error)


def test_unknown_class_is_inconclusive_naming_the_threshold() -> None:
    for check in (
        db_checks.test_rds_connections_below_limit,
        db_checks.test_rds_connections_leave_pool_headroom,
    ):
        unknown = instance(instance_class="db.x2g.large")
        reason = inconclusive_reason(check, unknown, metrics(rds_connections=40), THRESHOLDS)
        assert "db.x2g.large" in reason and "thresholds.rds_max_connections" in reason
        reason = inconclusive_reason(check, MISSING, metrics(rds_connections=40), THRESHOLDS)
        assert "thresholds.rds_max_connections" in reason


def test_connections_without_datapoints_are_inconclusive() -> None:
    reason = inconclusive_reason(
        db_checks.test_rds_connections_below_limit,
        instance(),
        metrics(rds_connections=None),
        THRESHOLDS,
    )
    assert "no datapoints" in reason


# -- the RDS CPU alarm -----------------------------------------------------------------------

CPU_ALARM = TARGET.alarms.rds_cpu_high


def alarms(state: str | None) -> Alarms:
    found = {} if state is None else {CPU_ALARM: Alarm(name=CPU_ALARM, state=state, reason="r")}
    missing = (CPU_ALARM,) if state is None else ()
    return Alarms(region="us-east-2", alarms=found, missing=missing)


def test_cpu_alarm_states() -> None:
    db_checks.test_rds_cpu_alarm_is_not_firing(alarms("OK"), TARGET)
    assert "in ALARM" in str(
        failure(db_checks.test_rds_cpu_alarm_is_not_firing, alarms("ALARM"), TARGET)
    )
    reason = inconclusive_reason(
        db_checks.test_rds_cpu_alarm_is_not_firing, alarms("INSUFFICIENT_DATA"), TARGET
    )
    assert "insufficient data" in reason
    reason = inconclusive_reason(db_checks.test_rds_cpu_alarm_is_not_firing, alarms(None), TARGET)
    assert "does not exist" in reason


# -- events ----------------------------------------------------------------------------------

REBOOT = ("DB instance restarted", ["availability"])
PATCH = ("Applying off-line patches to DB instance", ["maintenance"])
EXHAUSTED = ("Allocated storage has been exhausted.", ["low storage"])
FAILOVER = ("A Multi-AZ failover has completed.", ["failover"])
FAILED = ("The DB instance has failed due to an underlying storage issue.", ["failure"])
BACKUP = ("Finished DB instance backup", ["backup"])

EVENT_CHECKS = {
    "reboot": "test_no_recent_rds_reboot_events",
    "storage": "test_no_recent_rds_storage_full_events",
    "outage": "test_no_recent_rds_failover_or_failure_events",
}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (REBOOT, "reboot"),
        (PATCH, "reboot"),
        (EXHAUSTED, "storage"),
        (FAILOVER, "outage"),
        (FAILED, "outage"),
        (BACKUP, None),
    ],
)
def test_each_event_points_at_one_cause(event: tuple[str, list[str]], kind: str | None) -> None:
    evidence = events(event)
    for name, check in EVENT_CHECKS.items():
        if name == kind:
            error = failure(getattr(db_checks, check), evidence)
            assert event[0] in str(error) and "in the last 60 min" in str(error)
        else:
            getattr(db_checks, check)(evidence)


def test_storage_full_shutdown_is_storage_not_reboot() -> None:
    evidence = events(
        (
            "The DB instance has reached the storage-full threshold, and the "
            "database has been shut down.",
            ["availability"],
        )
    )
    db_checks.test_no_recent_rds_reboot_events(evidence)
    failure(db_checks.test_no_recent_rds_storage_full_events, evidence)


# -- pending maintenance ---------------------------------------------------------------------


def maintenance(*actions: MaintenanceAction) -> RdsMaintenance:
    return RdsMaintenance(instance=DB, read_at=NOW, actions=actions)


def test_no_pending_maintenance_passes() -> None:
    db_checks.test_no_pending_maintenance_that_reboots(maintenance(), instance())
    harmless = MaintenanceAction(action="some-future-action", description="d")
    db_checks.test_no_pending_maintenance_that_reboots(maintenance(harmless), instance())


def test_maintenance_within_a_week_is_p2_later_p3() -> None:
    soon = MaintenanceAction(
        action="system-update", description="OS update", auto_applied_after=NOW + timedelta(days=2)
    )
    error = failure(
        db_checks.test_no_pending_maintenance_that_reboots, maintenance(soon), instance()
    )
    assert isinstance(error, Failure) and error.severity == "P2"
    assert "system-update (OS update; applied from 2026-11-28 15:00 UTC)" in str(error)
    later = soon.model_copy(update={"auto_applied_after": NOW + timedelta(days=30)})
    error = failure(
        db_checks.test_no_pending_maintenance_that_reboots, maintenance(later), instance()
    )
    assert isinstance(error, Failure) and error.severity == "P3"
    undated = MaintenanceAction(action="db-upgrade", opt_in_status="next-maintenance")
    error = failure(
        db_checks.test_no_pending_maintenance_that_reboots,
        maintenance(undated),
        instance(multi_az=False),
    )
    assert isinstance(error, Failure) and error.severity == "P2"
    assert "Single-AZ" in str(error)


# -- Multi-AZ --------------------------------------------------------------------------------


def test_multi_az() -> None:
    db_checks.test_rds_is_multi_az(instance())
    error = failure(db_checks.test_rds_is_multi_az, instance(multi_az=False))
    assert isinstance(error, Failure) and error.severity == "P2" and "Single-AZ" in str(error)
    assert "not found" in inconclusive_reason(db_checks.test_rds_is_multi_az, MISSING)


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


# -- the sources, against moto and the simulator's own answer --------------------------------


def context(url: str, identifier: str) -> Context:
    target = TARGET.model_copy(
        update={"rds": TARGET.rds.model_copy(update={"instance": identifier})}
    )
    aws = ReadOnlySession("us-east-2", read_actions(), endpoint_url=url, credentials=CREDENTIALS)
    return Context(target=target, aws=aws, http=requests.Session(), now=datetime.now(UTC))


def create(url: str, identifier: str) -> None:
    boto3.client(
        "rds", region_name="us-east-2", endpoint_url=url, **CREDENTIALS
    ).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        AllocatedStorage=50,
        MaxAllocatedStorage=80,
        MasterUsername="opscheck",
        MasterUserPassword="tests-only",
        BackupRetentionPeriod=7,
        MultiAZ=True,
        DeletionProtection=True,
    )


def test_instance_events_and_snapshots_read_from_moto(moto_url: str) -> None:
    from moto.rds.models import rds_backends

    create(moto_url, "opscheck-tests-db")
    ctx = context(moto_url, "opscheck-tests-db")
    db = rds_instance(ctx)
    assert (db.status, db.instance_class, db.allocated_storage_gib) == (
        "available",
        "db.t4g.medium",
        50,
    )
    assert (db.max_allocated_storage_gib, db.multi_az, db.backup_retention_days) == (80, True, 7)
    assert db.deletion_protection and db.maintenance_window
    # moto ignores Duration: an event older than the hour is dropped here.
    backend = rds_backends["123456789012"]["us-east-2"]
    mine = [e for e in backend.events if e.source_identifier == "opscheck-tests-db"]
    mine[-1].date -= timedelta(hours=3)
    found = rds_events(ctx)
    assert found.window_minutes == 60
    assert [e.message for e in found.events] == [e.message for e in mine[:-1]]
    assert found.events[0].categories == ("creation",)
    snaps = rds_snapshots(ctx)
    assert snaps.newest is not None and snaps.newest.kind == "automated"


def test_missing_instance_read_as_missing(moto_url: str) -> None:
    db = rds_instance(context(moto_url, "opscheck-tests-no-such-db"))
    assert db.status == "MISSING" and "opscheck-tests-no-such-db" in (db.missing_reason or "")


def test_pending_maintenance_parsed_from_the_simulators_answer(
    moto_url: str, local_server: StartServer
) -> None:
    """The XML the simulator answers, read back through botocore by the source."""
    from opscheck.simulator.effects import rds as effects

    create(moto_url, "opscheck-tests-maint")
    ctx = context(moto_url, "opscheck-tests-maint")
    world = World(ctx.target, moto_url)
    effects.plan_maintenance(
        world,
        effects.MaintenanceChanges.model_validate(
            [{"action": "system-update", "description": "OS <update> & more", "apply_in_days": 2}]
        ),
        None,  # type: ignore[arg-type]
    )

    def answer(request: Request) -> Reply:
        xml = effects.pending_maintenance(world, request.form())
        return Reply(body=xml, content_type="text/xml")

    server = local_server(answer)
    found = rds_maintenance(context(server.url, "opscheck-tests-maint"))
    other = rds_maintenance(context(server.url, "opscheck-tests-other"))
    seen = [r.form() for r in server.requests]
    assert seen[0]["Action"] == "DescribePendingMaintenanceActions"
    assert seen[0]["Filters.Filter.1.Values.Value.1"] == "opscheck-tests-maint"
    (action,) = found.actions
    assert (action.action, action.description) == ("system-update", "OS <update> & more")
    assert action.applies_at is not None
    assert timedelta(days=1.9) < action.applies_at - found.read_at < timedelta(days=2.1)
    assert other.actions == ()
