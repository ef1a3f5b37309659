"""Runbook scenario 3, "Database Unavailable (P0)": is the database up, and if not, why.

The symptom checks read the instance's status and the RDS CPU alarm; the cause checks read
its status, storage, connections and the RDS events of the last hour (the runbook's "Check
RDS status" and "Check RDS events" commands) for its four causes: a reboot in the maintenance
window, storage full, too many connections, an AWS outage. Two config checks look ahead: a
maintenance action that will reboot it, and the Multi-AZ standby the runbook's "If multi-AZ
enabled, failover automatically" counts on.

Scenario 2's "Database connection pool exhausted" is measured here too, on the same
connection count against the same limit, so both read one definition of max_connections.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from opscheck import fail, inconclusive
from opscheck.evidence.rds import (
    ENGINE_MEMORY_SHARE,
    MaintenanceAction,
    RdsEvent,
    RdsInstance,
    default_max_connections,
)
from opscheck.verdicts import not_firing, read_the_whole_log, window

pytestmark = pytest.mark.runbook("database-unavailable")

REBOOTING_STATUSES = ("rebooting", "maintenance", "upgrading")
# PostgreSQL keeps superuser_reserved_connections (3 by default) of max_connections for
# superusers: the application is refused once the others are taken.
RESERVED_CONNECTIONS = 3
CONNECTION_WINDOW_MINUTES = 5
STORAGE_WINDOW_MINUTES = 15
# RDS event categories, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html
STORAGE_CATEGORIES = ("low storage",)
OUTAGE_CATEGORIES = ("failover", "failure", "recovery")
REBOOT_CATEGORIES = ("availability", "maintenance")
# Maintenance actions that take the instance offline (OS, engine and hardware updates).
REBOOTING_ACTIONS = (
    "system-update",
    "os-upgrade",
    "db-upgrade",
    "hardware-maintenance",
    "ca-certificate-rotation",
)
MAINTENANCE_SOON_DAYS = 7


def _named(db: RdsInstance) -> str:
    return f"DB instance {db.identifier}"


@pytest.mark.health
def test_rds_instance_is_available(rds_instance):
    """'All requests failing with DB errors': the instance must be `available` to serve them."""
    db = rds_instance
    assert not db.missing, f"{_named(db)} does not exist ({db.missing_reason})"
    assert db.status == "available", f"{_named(db)} is {db.status}, expected available"


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="rds-instance-rebooting")
def test_rds_instance_is_not_rebooting(rds_instance):
    """'RDS instance rebooting (maintenance window)': a status RDS sets while it is offline."""
    db = rds_instance
    assert db.status not in REBOOTING_STATUSES, (
        f"{_named(db)} is {db.status}: offline until it finishes"
        + (f" (maintenance window {db.maintenance_window})" if db.maintenance_window else "")
    )


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="storage-full")
def test_rds_instance_is_not_storage_full(rds_instance):
    """'Storage full': RDS marks the instance `storage-full` and the database stops writing."""
    db = rds_instance
    assert db.status != "storage-full", (
        f"{_named(db)} is storage-full: {db.allocated_storage_gib} GiB allocated, "
        f"autoscaling {_autoscaling(db)}"
    )


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="storage-full", severity=("P0", "P2"))
def test_rds_free_storage_above_minimum(rds_instance, metrics, thresholds):
    """Free storage below the minimum share is 'Storage full' on its way.

    Graded by what storage autoscaling can still add: with no headroom the instance stops
    when it fills (P0, the scenario's severity); with headroom RDS grows it first, so it is a
    partial risk with a workaround already in place (P2).
    """
    db = rds_instance
    if db.missing or not db.allocated_storage_gib:
        inconclusive(f"{_named(db)} not found: no allocated storage to measure free space against")
    free = window(metrics, "rds_free_storage", STORAGE_WINDOW_MINUTES)[-1]
    allocated = db.allocated_storage_gib * 1024**3
    share = free / allocated
    if share < thresholds.rds_min_free_storage:
        fail(
            f"{_named(db)} has {free / 1024**3:.1f} GiB free of {db.allocated_storage_gib} GiB "
            f"({share:.0%}, at least {thresholds.rds_min_free_storage:.0%} expected); "
            f"storage autoscaling {_autoscaling(db)}",
            "P2" if db.autoscaling_headroom_gib else "P0",
        )


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="too-many-connections")
def test_rds_connections_below_limit(rds_instance, metrics, thresholds):
    """'Too many connections': at max_connections PostgreSQL refuses the application.

    max_connections is thresholds.rds_max_connections, or PostgreSQL's RDS default for the
    instance class (an estimate: see opscheck.evidence.rds).
    """
    limit, source = _max_connections(rds_instance, thresholds)
    peak = max(window(metrics, "rds_connections", CONNECTION_WINDOW_MINUTES))
    usable = limit - RESERVED_CONNECTIONS
    assert peak < usable, (
        f"{_named(rds_instance)} reached {peak:.0f} connections in the last "
        f"{CONNECTION_WINDOW_MINUTES} min, at its limit of {limit} max_connections ({source}) "
        f"less {RESERVED_CONNECTIONS} reserved for superusers: new connections are refused"
    )


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", cause="database-connection-pool-exhausted")
def test_rds_connections_leave_pool_headroom(rds_instance, metrics, thresholds):
    """Scenario 2's 'Database connection pool exhausted', seen from the database.

    Connections above thresholds.rds_connections_ratio of max_connections leave the
    application's pools nothing to grow into: requests wait for a connection and fail. It
    lives with the database checks because it reads the same evidence and limit as
    scenario 3's 'Too many connections'. At the limit itself the database is refusing
    connections: that is scenario 3's check, at P0, so one cause is not reported twice.
    """
    limit, source = _max_connections(rds_instance, thresholds)
    peak = max(window(metrics, "rds_connections", CONNECTION_WINDOW_MINUTES))
    ratio = thresholds.rds_connections_ratio
    if peak >= limit - RESERVED_CONNECTIONS:
        return
    assert peak < ratio * limit, (
        f"{_named(rds_instance)} reached {peak:.0f} of {limit} max_connections ({source}) in "
        f"the last {CONNECTION_WINDOW_MINUTES} min: {peak / limit:.0%}, above {ratio:.0%}; "
        "the application's connection pools are exhausted"
    )


RECENT_LOG_MINUTES = 15  # a refusal this recent is the database refusing now


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="too-many-connections", severity=("P0", "P2"))
def test_rds_log_has_no_refused_connections(rds_logs, commands):
    """'Too many connections' as PostgreSQL says it: `FATAL: sorry, too many clients
    already` or `remaining connection slots are reserved`, in the last hour's log.

    The metric check sees the count reach the limit; this sees the application refused,
    whatever the limit (max_connections, a role's or database's own CONNECTION LIMIT). P0
    while refusals are recent; earlier in the hour only, P2: it happened, it may again.
    """
    refused = rds_logs.refused_connections
    if refused.count:
        latest = refused.samples[-1]
        recent = latest.at >= rds_logs.end - timedelta(minutes=RECENT_LOG_MINUTES)
        fail(
            f"PostgreSQL refused {refused.count} connections in DB instance {rds_logs.instance}'s"
            f" log in the last {rds_logs.window_minutes} min; latest at {latest.at:%H:%M} UTC "
            f"for {latest.who or '?'}: {latest.text}; "
            f"{commands.rds_log(rds_logs.instance, latest.file)}",
            "P0" if recent else "P2",
        )
    read_the_whole_log(rds_logs, "refused a connection")


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="storage-full")
def test_rds_log_has_no_storage_errors(rds_logs, commands):
    """'Storage full' as PostgreSQL says it: `could not extend file` or `No space left on
    device`. A write that cannot get space fails, and a WAL write that cannot stops the
    server: an outage of the database (P0), seen before RDS marks it storage-full.
    """
    errors = rds_logs.storage_errors
    if errors.count:
        latest = errors.samples[-1]
        fail(
            f"{errors.count} storage errors in DB instance {rds_logs.instance}'s log in the "
            f"last {rds_logs.window_minutes} min; latest at {latest.at:%H:%M} UTC: "
            f"{latest.text}; {commands.rds_log(rds_logs.instance, latest.file)}; "
            f"storage: {commands.runbook_command('database-unavailable', 'AllocatedStorage')}",
            "P0",
        )
    read_the_whole_log(rds_logs, "failed for lack of space")


@pytest.mark.health
def test_rds_cpu_alarm_is_not_firing(alarms, target):
    """The runbook's symptom: 'CloudWatch alarm: saaspe-production-rds-cpu-high'."""
    not_firing(alarms, target.alarms.rds_cpu_high)


def is_storage_event(event: RdsEvent) -> bool:
    text = event.message.lower()
    full = "storage" in text and ("full" in text or "exhausted" in text)
    return full or any(c in STORAGE_CATEGORIES for c in event.categories)


def is_outage_event(event: RdsEvent) -> bool:
    return not is_storage_event(event) and any(c in OUTAGE_CATEGORIES for c in event.categories)


def is_reboot_event(event: RdsEvent) -> bool:
    if is_storage_event(event) or is_outage_event(event):
        return False
    text = event.message.lower()
    return any(c in REBOOT_CATEGORIES for c in event.categories) or "reboot" in text


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="rds-instance-rebooting")
def test_no_recent_rds_reboot_events(rds_events):
    """RDS events of the last hour in the availability or maintenance categories: the
    instance restarted, shut down or was patched ('RDS instance rebooting')."""
    _no_events(rds_events, is_reboot_event, "reboot or maintenance")


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="storage-full")
def test_no_recent_rds_storage_full_events(rds_events):
    """RDS events of the last hour that storage ran out or is running out ('Storage full')."""
    _no_events(rds_events, is_storage_event, "storage")


@pytest.mark.health
@pytest.mark.runbook("database-unavailable", cause="aws-outage")
def test_no_recent_rds_failover_or_failure_events(rds_events):
    """Failover, failure and recovery events: AWS-side trouble under the instance
    ('AWS outage'), which the runbook sends to the AWS Health Dashboard."""
    _no_events(rds_events, is_outage_event, "failover or failure")


def _no_events(evidence, kind, what):
    found = [e for e in evidence.events if kind(e)]
    latest = "; ".join(e.summary() for e in found[-3:])
    assert not found, (
        f"{len(found)} {what} events for DB instance {evidence.instance} in the last "
        f"{evidence.window_minutes} min; latest: {latest}"
    )


@pytest.mark.config
@pytest.mark.runbook("database-unavailable", cause="rds-instance-rebooting", severity=("P2", "P3"))
def test_no_pending_maintenance_that_reboots(rds_maintenance, rds_instance):
    """A pending OS, engine or hardware update takes the instance offline when it applies.

    Not an outage yet: P2 when RDS applies it within a week (or at the next window), P3
    later. The simulated production answers DescribePendingMaintenanceActions itself: moto
    does not implement it.
    """
    rebooting = [a for a in rds_maintenance.actions if a.action in REBOOTING_ACTIONS]
    if not rebooting:
        return
    soon = [a for a in rebooting if _soon(a, rds_maintenance.read_at)]
    listed = "; ".join(_maintenance(a) for a in rebooting)
    fail(
        f"DB instance {rds_maintenance.instance} has pending maintenance that takes it "
        f"offline: {listed}"
        + (
            f"; maintenance window {rds_instance.maintenance_window}"
            if not rds_instance.missing
            else ""
        )
        + ("" if rds_instance.multi_az or rds_instance.missing else "; Single-AZ: no failover"),
        "P2" if soon else "P3",
    )


@pytest.mark.config
@pytest.mark.runbook("database-unavailable", cause="aws-outage", severity="P2")
def test_rds_is_multi_az(rds_instance):
    """'If multi-AZ enabled, failover automatically': without a standby an AZ outage is an
    outage of the database until AWS resolves it. Not an outage yet, so P2."""
    db = rds_instance
    if db.missing:
        inconclusive(f"{_named(db)} not found: cannot read whether it is Multi-AZ")
    if not db.multi_az:
        fail(f"{_named(db)} is Single-AZ: no standby to fail over to in an AZ outage", "P2")


def _soon(action: MaintenanceAction, now: datetime) -> bool:
    if action.opt_in_status in ("immediate", "next-maintenance"):
        return True
    when = action.applies_at
    return when is not None and when <= now + timedelta(days=MAINTENANCE_SOON_DAYS)


def _maintenance(action: MaintenanceAction) -> str:
    when = action.applies_at
    at = f"applied from {when:%Y-%m-%d %H:%M} UTC" if when else "no date set"
    opt_in = f", opted in: {action.opt_in_status}" if action.opt_in_status else ""
    return f"{action.action} ({action.description}; {at}{opt_in})"


def _autoscaling(db: RdsInstance) -> str:
    if db.max_allocated_storage_gib is None:
        return "is off: nothing grows it"
    headroom = db.autoscaling_headroom_gib
    if not headroom:
        return f"is at its ceiling of {db.max_allocated_storage_gib} GiB"
    return f"can still grow it by {headroom} GiB (to {db.max_allocated_storage_gib} GiB)"


def _max_connections(db: RdsInstance, thresholds) -> tuple[int, str]:
    if thresholds.rds_max_connections:
        return thresholds.rds_max_connections, "thresholds.rds_max_connections"
    setting = db.max_connections_setting
    if setting is not None and setting.strip().isdigit():
        return int(setting), f"parameter group {db.parameter_group}"
    if db.missing:
        inconclusive(
            f"{_named(db)} not found: no instance class to derive max_connections from; "
            "set thresholds.rds_max_connections"
        )
    default = default_max_connections(db.instance_class)
    if default is None:
        inconclusive(
            f"max_connections of {_named(db)} unknown: instance class {db.instance_class} is not "
            "in opscheck's table; set thresholds.rds_max_connections (`SHOW max_connections;`)"
        )
    share = f"{ENGINE_MEMORY_SHARE:.0%}"
    how = f"RDS's formula for {db.instance_class}, estimated low on {share} of its memory"
    return default, how if setting else f"PostgreSQL's RDS default: {how}"
