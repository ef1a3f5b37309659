"""Staging faults: edit the seeded world so it shows what the fault would show on AWS.

Where moto has no API for a state (a task's stop code, a target's health) the backend
is edited directly; this runs in the simulator process, where the backends live.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from opscheck.simulator.catalog import Fault
from opscheck.simulator.world import ACCOUNT, World, register_revision, stop_tasks_like

# Target health moto cannot express, by target group ARN: (state, reason, description).
TARGET_HEALTH: dict[str, tuple[str, str | None, str | None]] = {}
_moto_health_for = FakeTargetGroup.health_for


def _health_for(group: FakeTargetGroup, target: dict[str, Any], ec2: Any) -> FakeHealthStatus:
    status = _moto_health_for(group, target, ec2)
    override = TARGET_HEALTH.get(group.arn)
    if override and status.status == "healthy":
        return FakeHealthStatus(
            status.instance_id, status.port, status.health_check_port, *override
        )
    return status


FakeTargetGroup.health_for = _health_for  # type: ignore[method-assign]


def stage(world: World, fault: Fault, health: dict[str, Any]) -> None:
    """Apply one fault to the world; `health` is the health endpoint's answer, edited in place."""
    revision = world.task_definitions[-1]
    if fault.service:
        if fault.service.new_revision:
            revision = register_revision(world, "bad0c0d")
        _change_service(world, fault, revision)
    if fault.stopped_tasks:
        s = fault.stopped_tasks
        stop_tasks_like(
            world,
            revision,
            stop_code=s.stop_code,
            reason=s.reason,
            exit_code=s.exit_code,
            container_reason=s.container_reason,
            minutes_ago=3,
            count=s.count,
        )
    if fault.targets:
        _change_targets(world, fault)
    cloudwatch = world.client("cloudwatch")
    for role, state in fault.alarms.items():
        name = getattr(world.target.alarms, role)
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=f"Simulated: {fault.name}"
        )
    if fault.health:
        health.update(status=fault.health.status, body=fault.health.body)


def _change_service(world: World, fault: Fault, revision: str) -> None:
    change = fault.service
    assert change is not None
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    service = backend.services[f"{world.target.ecs.cluster}:{world.target.ecs.service}"]
    primary = service.deployments[0]
    if change.new_revision:
        previous = dict(primary, status="ACTIVE", runningCount=0, pendingCount=0, desiredCount=0)
        primary = dict(primary, id=f"{primary['id']}9", taskDefinition=revision)
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
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} in progress."
    service.deployments[0] = primary


def _change_targets(world: World, fault: Fault) -> None:
    change = fault.targets
    assert change is not None
    elb = world.client("elbv2")
    registered = elb.describe_target_health(TargetGroupArn=world.target_group_arn)
    targets = [d["Target"] for d in registered["TargetHealthDescriptions"]]
    if change.registered is not None and change.registered < len(targets):
        elb.deregister_targets(
            TargetGroupArn=world.target_group_arn, Targets=targets[change.registered :]
        )
    if change.state:
        TARGET_HEALTH[world.target_group_arn] = (change.state, change.reason, change.description)
