"""Evidence from RDS: the database instance, its recent events, snapshots and maintenance.

Four sources, fetched concurrently: what the runbook's "Check RDS status" and "Check RDS
events" commands read, and what a restore from backup ("Database Rollback") depends on.
A DB instance RDS does not know is a finding (status MISSING), not something unreadable.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source

EVENT_WINDOW_MINUTES = 60  # the runbook's `describe-events --duration 60`

# PostgreSQL's default max_connections on RDS is LEAST({DBInstanceClassMemory/9531392}, 5000).
# https://docs.aws.amazon.com/prescriptive-guidance/latest/tuning-postgresql-parameters/max-connections.html
MAX_CONNECTIONS_DIVISOR = 9531392
MAX_CONNECTIONS_CAP = 5000
# DBInstanceClassMemory is the class's memory less what the OS and RDS's own processes keep;
# AWS does not publish that share, and it is larger on small classes: a db.t4g.small (2 GiB)
# allows 181 connections, 80% of its memory. Assumed here: 75%, so the estimate errs low (a
# connection check warns early, never late). A custom parameter group's own max_connections is
# read instead; thresholds.rds_max_connections overrides both (`SHOW max_connections;`).
ENGINE_MEMORY_SHARE = 0.75
GIB = 1024**3

# Memory (GiB) of common instance classes, from the RDS instance class tables.
_SIZES = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GENERAL = {"large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128}
_MEMORY = {"large": 16, "xlarge": 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256}
CLASS_MEMORY_GIB: dict[str, int] = {
    **{f"db.{f}.{s}": g for f in ("t3", "t4g") for s, g in _SIZES.items()},
    **{f"db.{f}.{s}": g for f in ("m5", "m6g", "m6i", "m7g", "m7i") for s, g in _GENERAL.items()},
    **{f"db.{f}.{s}": g for f in ("r5", "r6g", "r6i", "r7g", "r7i") for s, g in _MEMORY.items()},
}


def default_max_connections(instance_class: str) -> int | None:
    """PostgreSQL's RDS default max_connections for the class; None for a class not tabled."""
    memory = CLASS_MEMORY_GIB.get(instance_class)
    if memory is None:
        return None
    engine_memory = memory * GIB * ENGINE_MEMORY_SHARE
    return min(int(engine_memory // MAX_CONNECTIONS_DIVISOR), MAX_CONNECTIONS_CAP)


class RdsInstance(Model):
    identifier: str
    status: str  # available, rebooting, storage-full, ...; MISSING when RDS does not know it
    missing_reason: str | None = None
    instance_class: str = ""
    engine: str = ""
    allocated_storage_gib: int = 0
    max_allocated_storage_gib: int | None = None  # storage autoscaling ceiling, if enabled
    multi_az: bool = False
    backup_retention_days: int = 0
    deletion_protection: bool = False
    latest_restorable_time: datetime | None = None
    maintenance_window: str | None = None
    backup_window: str | None = None  # "hh24:mi-hh24:mi" UTC: when the daily backup runs
    parameter_group: str | None = None
    # max_connections as a custom parameter group sets it (a number or a formula); None for
    # a default group, which keeps RDS's formula.
    max_connections_setting: str | None = None
    # log_min_duration_statement as the custom group sets it (ms); None: RDS's default, -1,
    # which logs no statement durations (what the slow-statement check reads in the log).
    log_min_duration_statement_setting: str | None = None
    read_at: datetime | None = None  # what the restore point's age is measured against

    @property
    def missing(self) -> bool:
        return self.status == "MISSING"

    @property
    def autoscaling_headroom_gib(self) -> int:
        """GiB storage autoscaling may still add; 0 when it is off or at its ceiling."""
        ceiling = self.max_allocated_storage_gib or 0
        return max(ceiling - self.allocated_storage_gib, 0)


@source("rds_instance", actions=("rds:DescribeDBInstances", "rds:DescribeDBParameters"))
def rds_instance(ctx: Context) -> RdsInstance:
    """The DB instance: status, class, storage, Multi-AZ, backups, deletion protection."""
    return ctx.once("rds:DescribeDBInstances", lambda: _describe_instance(ctx))


def _describe_instance(ctx: Context) -> RdsInstance:
    name = ctx.target.rds.instance
    try:
        found = ctx.aws.client("rds").describe_db_instances(DBInstanceIdentifier=name)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
            raise
        reason = error.response["Error"].get("Message") or f"DB instance {name} not found"
        return RdsInstance(identifier=name, status="MISSING", missing_reason=reason)
    db = found["DBInstances"][0]
    groups = [g["DBParameterGroupName"] for g in db.get("DBParameterGroups", [])]
    group = groups[0] if groups else None
    settings = _user_settings(ctx, group)
    return RdsInstance(
        parameter_group=group,
        max_connections_setting=settings.get("max_connections"),
        log_min_duration_statement_setting=settings.get("log_min_duration_statement"),
        identifier=db["DBInstanceIdentifier"],
        status=db["DBInstanceStatus"],
        instance_class=db.get("DBInstanceClass", ""),
        engine=db.get("Engine", ""),
        allocated_storage_gib=db.get("AllocatedStorage", 0),
        max_allocated_storage_gib=db.get("MaxAllocatedStorage"),
        multi_az=db.get("MultiAZ", False),
        backup_retention_days=db.get("BackupRetentionPeriod", 0),
        deletion_protection=db.get("DeletionProtection", False),
        latest_restorable_time=db.get("LatestRestorableTime"),
        maintenance_window=db.get("PreferredMaintenanceWindow"),
        backup_window=db.get("PreferredBackupWindow"),
        read_at=ctx.now,
    )


USER_SETTINGS = ("max_connections", "log_min_duration_statement")


def _user_settings(ctx: Context, group: str | None) -> dict[str, str]:
    """The USER_SETTINGS a custom parameter group sets; a default group cannot change them.

    Only the parameters the user set (Source=user) are read: one page, not the group's ~350.
    """
    if group is None or group.startswith("default."):
        return {}
    found: dict[str, str] = {}
    pages = ctx.aws.client("rds").get_paginator("describe_db_parameters")
    for page in pages.paginate(DBParameterGroupName=group, Source="user"):
        for parameter in page["Parameters"]:
            name, value = parameter.get("ParameterName"), parameter.get("ParameterValue")
            if name in USER_SETTINGS and value is not None:
                found[name] = value
    return found


class RdsEvent(Model):
    date: datetime
    message: str
    categories: tuple[str, ...] = ()

    def summary(self) -> str:
        return f"{self.date:%H:%M} UTC [{', '.join(self.categories)}] {self.message}"


class RdsEvents(Model):
    instance: str
    window_minutes: int
    events: tuple[RdsEvent, ...]  # oldest first


@source("rds_events", actions=("rds:DescribeEvents",))
def rds_events(ctx: Context) -> RdsEvents:
    """The DB instance's RDS events of the last 60 minutes, as `describe-events --duration 60`."""
    name = ctx.target.rds.instance
    since = ctx.now - timedelta(minutes=EVENT_WINDOW_MINUTES)
    found: list[dict[str, Any]] = []
    pages = ctx.aws.client("rds").get_paginator("describe_events")
    for page in pages.paginate(
        SourceIdentifier=name, SourceType="db-instance", Duration=EVENT_WINDOW_MINUTES
    ):
        found += page["Events"]
    # Filtered here too: not every AWS-compatible endpoint honours Duration.
    events = sorted(
        (
            RdsEvent(
                date=e["Date"],
                message=e.get("Message", ""),
                categories=tuple(e.get("EventCategories", [])),
            )
            for e in found
            if e.get("SourceIdentifier", name) == name and e["Date"] >= since
        ),
        key=lambda e: e.date,
    )
    return RdsEvents(instance=name, window_minutes=EVENT_WINDOW_MINUTES, events=tuple(events))


class RdsSnapshot(Model):
    identifier: str
    kind: str  # automated, manual
    status: str
    created_at: datetime | None = None


class RdsSnapshots(Model):
    instance: str
    read_at: datetime  # what a snapshot's age is measured against, also when replayed
    snapshots: tuple[RdsSnapshot, ...]
    backup_window: str | None = None  # the instance's daily backup window, "hh24:mi-hh24:mi"

    @property
    def backup_window_hours(self) -> float:
        """How long the daily backup window lasts (RDS's default window is 30 minutes)."""
        try:
            start, end = (
                int(t[:2]) * 60 + int(t[3:5]) for t in (self.backup_window or "").split("-")
            )
        except ValueError:
            return 0.5
        return ((end - start) % (24 * 60)) / 60

    @property
    def newest(self) -> RdsSnapshot | None:
        """The newest snapshot a restore can use: available, automated or manual."""
        usable = [s for s in self.snapshots if s.status == "available" and s.created_at]
        return max(usable, key=lambda s: s.created_at) if usable else None  # type: ignore[arg-type, return-value]


@source("rds_snapshots", actions=("rds:DescribeDBSnapshots", "rds:DescribeDBInstances"))
def rds_snapshots(ctx: Context) -> RdsSnapshots:
    """The DB instance's automated and manual snapshots: what a restore would start from."""
    name = ctx.target.rds.instance
    found: list[dict[str, Any]] = []
    pages = ctx.aws.client("rds").get_paginator("describe_db_snapshots")
    try:
        for page in pages.paginate(DBInstanceIdentifier=name):
            found += page["DBSnapshots"]
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
            raise
    instance = rds_instance(ctx)  # the same DescribeDBInstances, read once for both
    return RdsSnapshots(
        instance=name,
        read_at=ctx.now,
        backup_window=instance.backup_window,
        snapshots=tuple(
            RdsSnapshot(
                identifier=s["DBSnapshotIdentifier"],
                kind=s.get("SnapshotType", ""),
                status=s.get("Status", ""),
                created_at=s.get("SnapshotCreateTime"),
            )
            for s in found
            if s.get("DBInstanceIdentifier", name) == name
        ),
    )


class MaintenanceAction(Model):
    action: str  # system-update, db-upgrade, hardware-maintenance, ...
    description: str = ""
    opt_in_status: str | None = None
    auto_applied_after: datetime | None = None
    forced_apply_date: datetime | None = None
    current_apply_date: datetime | None = None

    @property
    def applies_at(self) -> datetime | None:
        """When RDS will apply it without being asked: the earliest date it names."""
        dates = [
            d
            for d in (self.current_apply_date, self.auto_applied_after, self.forced_apply_date)
            if d is not None
        ]
        return min(dates) if dates else None


class RdsMaintenance(Model):
    instance: str
    read_at: datetime  # what "applies soon" is measured against, also when replayed
    actions: tuple[MaintenanceAction, ...]


@source("rds_maintenance", actions=("rds:DescribePendingMaintenanceActions",))
def rds_maintenance(ctx: Context) -> RdsMaintenance:
    """Maintenance actions pending on the DB instance, with when RDS will apply them."""
    name = ctx.target.rds.instance
    found: list[dict[str, Any]] = []
    pages = ctx.aws.client("rds").get_paginator("describe_pending_maintenance_actions")
    for page in pages.paginate(Filters=[{"Name": "db-instance-id", "Values": [name]}]):
        for resource in page.get("PendingMaintenanceActions", []):
            # Filtered here too: the ResourceIdentifier is the instance's ARN.
            if resource.get("ResourceIdentifier", "").rpartition(":")[2] == name:
                found += resource.get("PendingMaintenanceActionDetails", [])
    return RdsMaintenance(
        instance=name,
        read_at=ctx.now,
        actions=tuple(
            MaintenanceAction(
                action=a.get("Action", ""),
                description=a.get("Description", ""),
                opt_in_status=a.get("OptInStatus"),
                auto_applied_after=a.get("AutoAppliedAfterDate"),
                forced_apply_date=a.get("ForcedApplyDate"),
                current_apply_date=a.get("CurrentApplyDate"),
            )
            for a in found
        ),
    )
