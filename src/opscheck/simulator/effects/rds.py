"""RDS: the DB instance's status and settings, its events, snapshots and maintenance
(evidence: `rds`).

moto creates the instance `available` at once, records only creation and backup events,
keeps an automated snapshot whatever the retention, and does not implement
DescribePendingMaintenanceActions. So the healthy seed and the faults edit moto's backend
in this process, and the simulator answers DescribePendingMaintenanceActions itself from
what the faults planned, in the XML shape RDS documents.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

from moto.core.utils import utcnow
from moto.rds.models import Event, rds_backends
from pydantic import RootModel

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, answer, effect, seed
from opscheck.simulator.world import ACCOUNT, World

HEALTHY_MAX_STORAGE_GIB = 100  # storage autoscaling ceiling of the healthy instance
HEALTHY_SNAPSHOT_HOURS_AGO = 3  # last night's automated backup
_PENDING: dict[int, list[MaintenanceChange]] = {}  # id(world) -> planned maintenance actions


def _backend(world: World) -> Any:
    return rds_backends[ACCOUNT][world.target.aws.region]


def _database(world: World) -> Any:
    return _backend(world).databases[world.target.rds.instance]


def _add_event(world: World, message: str, categories: list[str], minutes_ago: float) -> None:
    event = Event("DB_INSTANCE_CREATE", _database(world))
    event.message = message
    event.event_categories = categories
    event.date = utcnow() - timedelta(minutes=minutes_ago)
    _backend(world).events.append(event)


@seed("rds")
def healthy_database(world: World) -> None:
    """Multi-AZ PostgreSQL with storage autoscaling and headroom, last night's backup, and
    only benign recent events."""
    rds = world.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier=world.target.rds.instance,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        AllocatedStorage=50,
        MasterUsername="saaspe",
        MasterUserPassword="simulated-only",
        BackupRetentionPeriod=7,
        MultiAZ=True,
        DeletionProtection=True,
    )
    rds.modify_db_instance(
        DBInstanceIdentifier=world.target.rds.instance,
        MaxAllocatedStorage=HEALTHY_MAX_STORAGE_GIB,
        ApplyImmediately=True,
    )
    backend = _backend(world)
    long_ago = utcnow() - timedelta(days=30)
    for event in backend.events:
        event.date = long_ago
    for snapshot in backend.database_snapshots.values():
        taken = utcnow() - timedelta(hours=HEALTHY_SNAPSHOT_HOURS_AGO)
        snapshot.created = snapshot.original_snapshot_create_time = taken
    _add_event(world, "Backing up DB instance", ["backup"], minutes_ago=25)
    _add_event(world, "Finished DB instance backup", ["backup"], minutes_ago=18)
    _PENDING[id(world)] = []


class RdsChange(Change):
    """The DB instance's status and settings."""

    status: str | None = None
    """The instance status, e.g. `storage-full` or `rebooting`."""
    allocated_storage: int | None = None
    """Allocated storage in GiB."""
    max_allocated_storage: int | None = None
    """The storage autoscaling ceiling in GiB; 0 turns autoscaling off."""
    multi_az: bool | None = None
    backup_retention: int | None = None
    deletion_protection: bool | None = None


@effect("rds", RdsChange)
def change_instance(world: World, change: RdsChange, fault: Fault) -> None:
    db = _database(world)
    if change.status is not None:
        db.status = change.status
    if change.allocated_storage is not None:
        db.allocated_storage = change.allocated_storage
    if change.max_allocated_storage is not None:
        # Set past moto's setter, which refuses a ceiling below the allocated storage.
        db._max_allocated_storage = change.max_allocated_storage or db.allocated_storage
    if change.multi_az is not None:
        db.multi_az = change.multi_az
    if change.backup_retention is not None:
        db.backup_retention_period = change.backup_retention
    if change.deletion_protection is not None:
        db.deletion_protection = change.deletion_protection


class EventChange(Change):
    message: str
    """The event message, as RDS writes it."""
    categories: list[str]
    """Its categories, e.g. `failover`, `maintenance`."""
    minutes_ago: float = 5
    """How long ago."""


class EventsChange(RootModel[list[EventChange]]):
    """RDS events of the instance to add, as RDS writes them."""


@effect("rds_events", EventsChange)  # type: ignore[arg-type]
def add_events(world: World, change: EventsChange, fault: Fault) -> None:
    for event in change.root:
        _add_event(world, event.message, event.categories, event.minutes_ago)


class SnapshotsChange(Change):
    """The DB instance's snapshots."""

    newest_hours_ago: float | None = None
    """Backdate every snapshot to this age."""
    none: bool = False
    """Delete every snapshot."""


@effect("rds_snapshots", SnapshotsChange)
def change_snapshots(world: World, change: SnapshotsChange, fault: Fault) -> None:
    snapshots = _backend(world).database_snapshots
    if change.none:
        snapshots.clear()
    if change.newest_hours_ago is not None:
        taken = utcnow() - timedelta(hours=change.newest_hours_ago)
        for snapshot in snapshots.values():
            snapshot.created = snapshot.original_snapshot_create_time = taken


class MaintenanceChange(Change):
    action: str = "system-update"
    """The pending action."""
    description: str = "New Operating System update is available"
    """Its description."""
    apply_in_days: float | None = 2
    """Days until its AutoAppliedAfterDate."""
    forced_in_days: float | None = None
    """Days until its ForcedApplyDate; left out: none."""
    opt_in_status: str | None = None
    """Its OptInStatus."""


class MaintenanceChanges(RootModel[list[MaintenanceChange]]):
    """Maintenance actions pending on the instance."""


@effect("rds_maintenance", MaintenanceChanges)  # type: ignore[arg-type]
def plan_maintenance(world: World, change: MaintenanceChanges, fault: Fault) -> None:
    _PENDING.setdefault(id(world), []).extend(change.root)


def _date(days: float | None) -> str | None:
    if days is None:
        return None
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@answer("DescribePendingMaintenanceActions")
def pending_maintenance(world: World, params: dict[str, str]) -> str:
    """The RDS query-protocol answer (API reference: DescribePendingMaintenanceActions)."""
    planned = _PENDING.get(id(world), [])
    wanted = {v for k, v in params.items() if k.startswith("Filters.Filter.1.Values.")}
    db = _database(world)
    resources = ""
    if planned and (not wanted or wanted & {db.db_instance_identifier, db.arn}):
        details = ""
        for action in planned:
            fields = {
                "Action": action.action,
                "Description": action.description,
                "AutoAppliedAfterDate": _date(action.apply_in_days),
                "ForcedApplyDate": _date(action.forced_in_days),
                "OptInStatus": action.opt_in_status,
            }
            inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items() if v is not None)
            details += f"<PendingMaintenanceAction>{inner}</PendingMaintenanceAction>"
        resources = (
            "<ResourcePendingMaintenanceActions>"
            f"<ResourceIdentifier>{escape(db.arn)}</ResourceIdentifier>"
            f"<PendingMaintenanceActionDetails>{details}</PendingMaintenanceActionDetails>"
            "</ResourcePendingMaintenanceActions>"
        )
    return (
        '<DescribePendingMaintenanceActionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
        "<DescribePendingMaintenanceActionsResult>"
        f"<PendingMaintenanceActions>{resources}</PendingMaintenanceActions>"
        "</DescribePendingMaintenanceActionsResult>"
        "<ResponseMetadata><RequestId>simulated</RequestId></ResponseMetadata>"
        "</DescribePendingMaintenanceActionsResponse>"
    )
