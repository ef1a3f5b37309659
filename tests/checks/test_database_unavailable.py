"""Scenario 3 (database unavailable) and scenario 2's pool check, on hand-built evidence."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.metrics import Metrics, Series
from opscheck.evidence.rds import MaintenanceAction, RdsEvent, RdsEvents, RdsMaintenance
from opscheck.outcomes import Failure
from tests.checks.helpers import DB, MISSING, failure, inconclusive_reason, instance
from tests.helpers import NOW, THRESHOLDS, load_checks, thresholds
from tests.helpers import SIMULATED as TARGET

GIB = 1024**3


db_checks = load_checks("test_database_unavailable")


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


def events(*found: tuple[str, list[str]]) -> RdsEvents:
    return RdsEvents(
        instance=DB,
        window_minutes=60,
        events=tuple(
            RdsEvent(date=NOW - timedelta(minutes=5), message=m, categories=tuple(c))
            for m, c in found
        ),
    )


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
    evidence = metrics(rds_connections=334)  # 337 less 3 reserved
    error = failure(db_checks.test_rds_connections_below_limit, instance(), evidence, THRESHOLDS)
    assert "334 connections" in str(error) and "337 max_connections" in str(error)
    assert "db.t4g.medium" in str(error)
    db_checks.test_rds_connections_leave_pool_headroom(instance(), evidence, THRESHOLDS)


def test_connections_above_ratio_are_pool_exhaustion_only() -> None:
    evidence = metrics(rds_connections=315)
    db_checks.test_rds_connections_below_limit(instance(), evidence, THRESHOLDS)
    error = failure(
        db_checks.test_rds_connections_leave_pool_headroom, instance(), evidence, THRESHOLDS
    )
    assert "315 of 337 max_connections" in str(error) and "above 90%" in str(error)


def test_a_custom_parameter_groups_max_connections_wins_over_the_estimate() -> None:
    custom = instance().model_copy(
        update={"parameter_group": "saaspe-pg15", "max_connections_setting": "120"}
    )
    error = failure(
        db_checks.test_rds_connections_below_limit, custom, metrics(rds_connections=118), THRESHOLDS
    )
    assert "120 max_connections (parameter group saaspe-pg15)" in str(error)


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
