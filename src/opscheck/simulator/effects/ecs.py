"""ECS effects: the service's counts and deployments, and tasks stopped for a reason."""

from __future__ import annotations

from datetime import timedelta

from moto.core.utils import utcnow
from moto.ecs.models import ecs_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import ACCOUNT, World, register_revision, stop_tasks_like

BAD_TAG = "bad0c0d"
NEW_REVISION_MINUTES_AGO = 10  # a new revision's deployment started this long ago


class ServiceChange(Change):
    running: int | None = None
    pending: int | None = None
    failed_tasks: int | None = None
    rollout_state: str | None = None
    new_revision: bool = False


class StoppedTasksChange(Change):
    count: int
    stop_code: str
    reason: str
    exit_code: int | None = None
    container_reason: str | None = None


@effect("service", ServiceChange)
def change_service(world: World, change: ServiceChange, fault: Fault) -> None:
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    service = backend.services[f"{world.target.ecs.cluster}:{world.target.ecs.service}"]
    primary = service.deployments[0]
    if change.new_revision:
        revision = register_revision(world, BAD_TAG)
        previous = dict(primary, status="ACTIVE", runningCount=0, pendingCount=0, desiredCount=0)
        primary = dict(
            primary,
            id=f"{primary['id']}9",
            taskDefinition=revision,
            createdAt=utcnow() - timedelta(minutes=NEW_REVISION_MINUTES_AGO),
            updatedAt=utcnow(),
        )
        service.task_definition = revision
        service.deployments = [primary, previous]
    counts = {"running": "runningCount", "pending": "pendingCount", "failed_tasks": "failedTasks"}
    for field, key in counts.items():
        value = getattr(change, field)
        if value is not None:
            primary[key] = value
    if change.running is not None:
        service.running_count = change.running
    if change.pending is not None:
        service.pending_count = change.pending
    if change.rollout_state:
        primary["rolloutState"] = change.rollout_state
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} {change.rollout_state}."
    service.deployments[0] = primary


@effect("stopped_tasks", StoppedTasksChange)
def stop_tasks(world: World, change: StoppedTasksChange, fault: Fault) -> None:
    """Stop tasks of the service's current revision (a new one, if the fault deployed one)."""
    stop_tasks_like(
        world,
        world.task_definitions[-1],
        stop_code=change.stop_code,
        reason=change.reason,
        exit_code=change.exit_code,
        container_reason=change.container_reason,
        minutes_ago=3,
        count=change.count,
    )
