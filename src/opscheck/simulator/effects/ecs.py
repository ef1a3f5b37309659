"""The ECS service: its counts, deployments, deployment settings and stopped tasks
(evidence: `ecs`).

The healthy world runs the newest revision 2/2 behind the target group, deployed two days
ago with the circuit breaker and deployment alarms on, and has the tasks that deployment
replaced stopped. Faults change the counts, start a rollout, stop tasks for a reason or
turn the safety nets off, on moto's backend where its API cannot (it neither fails nor
times a deployment).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from moto.core.utils import utcnow
from moto.ecs.models import ecs_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.effects.taskdefs import register_revision, service
from opscheck.simulator.world import ACCOUNT, RUNNING_TASKS, World

BAD_TAG = "bad0c0d"
ROLLOUT_TAG = "4d5e6f7"
NEW_REVISION_MINUTES_AGO = 10  # a new revision's deployment started this long ago


def stop_tasks_like(
    world: World,
    task_definition: str,
    *,
    stop_code: str,
    reason: str,
    exit_code: int | None,
    container_reason: str | None = None,
    minutes_ago: float = 5,
    count: int = 1,
) -> None:
    """Run tasks of the service and stop them as ECS would have, with the given reasons."""
    ecs = world.client("ecs")
    cluster = world.target.ecs.cluster
    tasks = ecs.run_task(
        cluster=cluster,
        taskDefinition=task_definition,
        launchType="FARGATE",
        group=f"service:{world.target.ecs.service}",
        startedBy="ecs-svc/simulated",
        count=count,
        networkConfiguration=world.network(),
    )["tasks"]
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    stopped_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    for task in tasks:
        # On the backend, not over HTTP: a scaled production stops a hundred and more.
        stored = backend.stop_task(cluster, task["taskArn"], reason)
        stored.stop_code = stop_code
        stored.started_at = stopped_at - timedelta(seconds=40)
        stored.stopped_at = stopped_at
        for c in stored.containers:
            c.last_status = "STOPPED"
            c.exitCode = exit_code
            c.reason = container_reason


@seed("ecs", after=("network", "elb", "taskdefs"))
def steady_service(world: World) -> None:
    """The service 2/2 on the newest revision, deployed two days ago, safety nets on."""
    target = world.target
    ecs = world.client("ecs")
    ecs.create_cluster(clusterName=target.ecs.cluster)
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = str(RUNNING_TASKS)
    ecs.create_service(
        cluster=target.ecs.cluster,
        serviceName=target.ecs.service,
        taskDefinition=world.task_definitions[-1],
        desiredCount=RUNNING_TASKS,
        launchType="FARGATE",
        networkConfiguration=world.network(),
        loadBalancers=[
            {
                "targetGroupArn": world.target_group_arn,
                "containerName": "backend",
                "containerPort": 3000,
            }
        ],
    )
    # moto keeps deploymentConfiguration from update_service, not from create_service.
    ecs.update_service(
        cluster=target.ecs.cluster,
        service=target.ecs.service,
        healthCheckGracePeriodSeconds=60,
        deploymentConfiguration={
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "alarms": {
                "alarmNames": [target.alarms.alb_unhealthy_targets],
                "enable": True,
                "rollback": True,
            },
        },
    )
    # A healthy service has stopped tasks too: the ones the last deployment replaced.
    for _ in range(RUNNING_TASKS):
        stop_tasks_like(
            world,
            world.task_definitions[-2],
            stop_code="ServiceSchedulerInitiated",
            reason="Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
            exit_code=0,
            minutes_ago=45,
        )
    service(world).deployments[0]["createdAt"] = utcnow() - timedelta(days=2)


class ServiceChange(Change):
    """The service's counts and its PRIMARY deployment."""

    running: int | None = None
    """Tasks running."""
    pending: int | None = None
    """Tasks pending."""
    failed_tasks: int | None = None
    """The deployment's failedTasks."""
    rollout_state: str | None = None
    """The deployment's rolloutState."""
    new_revision: bool = False
    """A new (bad) revision deployed ten minutes ago."""


@effect("service", ServiceChange)
def change_service(world: World, change: ServiceChange, fault: Fault) -> None:
    running = service(world)
    primary = running.deployments[0]
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
        running.task_definition = revision
        running.deployments = [primary, previous]
    counts = {"running": "runningCount", "pending": "pendingCount", "failed_tasks": "failedTasks"}
    for field, key in counts.items():
        value = getattr(change, field)
        if value is not None:
            primary[key] = value
    if change.running is not None:
        running.running_count = change.running
    if change.pending is not None:
        running.pending_count = change.pending
    if change.rollout_state:
        primary["rolloutState"] = change.rollout_state
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} {change.rollout_state}."
    running.deployments[0] = primary


class StoppedTasksChange(Change):
    """Tasks of the service's current revision, stopped three minutes ago."""

    count: int
    """How many tasks."""
    stop_code: str
    """Their stopCode, e.g. `TaskFailedToStart`."""
    reason: str
    """Their stoppedReason."""
    exit_code: int | None = None
    """The container's exit code."""
    container_reason: str | None = None
    """The container's reason, e.g. `OutOfMemoryError`."""


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


class RolloutChange(Change):
    """A new revision rolling out beside the running one."""

    state: str
    """The new PRIMARY deployment's rolloutState: IN_PROGRESS, FAILED, COMPLETED."""
    started_minutes_ago: float = 5
    """When the rollout started."""
    running: int = 0
    """Tasks of the new deployment running (the old one keeps its own)."""
    failed_tasks: int = 0
    """The new deployment's failedTasks."""


@effect("rollout", RolloutChange)
def start_rollout(world: World, change: RolloutChange, fault: Fault) -> None:
    """A new revision deployed beside the old one, which keeps serving while it rolls out."""
    running = service(world)
    revision = register_revision(world, ROLLOUT_TAG)
    old = dict(running.deployments[0], status="ACTIVE", desiredCount=RUNNING_TASKS)
    started = utcnow() - timedelta(minutes=change.started_minutes_ago)
    new_id = f"{old['id']}7"
    reasons = {
        "FAILED": "ECS deployment circuit breaker: tasks failed to start.",
        "IN_PROGRESS": f"ECS deployment {new_id} in progress.",
        "COMPLETED": f"ECS deployment {new_id} completed.",
    }
    primary = dict(
        old,
        id=new_id,
        status="PRIMARY",
        taskDefinition=revision,
        desiredCount=running.desired_count,
        runningCount=change.running,
        pendingCount=max(running.desired_count - change.running, 0),
        failedTasks=change.failed_tasks,
        rolloutState=change.state,
        rolloutStateReason=reasons.get(change.state, change.state),
        createdAt=started,
        updatedAt=utcnow(),
    )
    running.deployments = [primary, old]
    running.task_definition = revision
    running.running_count = old["runningCount"] + change.running


class DeploymentAlarmsChange(Change):
    """Whether the service's deployments watch their alarms."""

    enabled: bool
    """False: deployments ignore their alarms."""


@effect("deployment_alarms", DeploymentAlarmsChange)
def change_deployment_alarms(world: World, change: DeploymentAlarmsChange, fault: Fault) -> None:
    target = world.target
    current = service(world).deployment_configuration
    alarms = dict(current.get("alarms", {}), enable=change.enabled)
    world.client("ecs").update_service(
        cluster=target.ecs.cluster,
        service=target.ecs.service,
        deploymentConfiguration=dict(current, alarms=alarms),
    )


class CircuitBreakerChange(Change):
    """The service's deployment circuit breaker, and whether it rolls back."""

    enable: bool
    """The circuit breaker is on."""
    rollback: bool
    """It rolls a failed deployment back."""


@effect("circuit_breaker", CircuitBreakerChange)
def change_circuit_breaker(world: World, change: CircuitBreakerChange, fault: Fault) -> None:
    service(world).deployment_configuration["deploymentCircuitBreaker"] = {
        "enable": change.enable,
        "rollback": change.rollback,
    }


class RollbackChange(Change):
    """A rollback in progress: a bad revision was deployed, and the service is being moved
    back to the revision before it, as `aws ecs update-service --task-definition` does."""

    running: int = 1
    """Tasks of the older revision running so far (the rest are pending)."""
    started_minutes_ago: float = 6
    """When the rollback's deployment started (the bad one, ten minutes ago)."""
    failed_tasks: int = 4
    """failedTasks of the bad revision's deployment, now ACTIVE and draining."""


@effect("rollback", RollbackChange)
def start_rollback(world: World, change: RollbackChange, fault: Fault) -> None:
    """The PRIMARY deployment rolls out the previous revision; the bad one is ACTIVE beside it.

    ECS names no rollback as such: a PRIMARY deployment of an older revision than the
    deployment it replaces is what a rollback looks like in DescribeServices.
    """
    running = service(world)
    bad = register_revision(world, BAD_TAG)
    previous = world.task_definitions[-2]
    first = running.deployments[0]
    bad_deployment = dict(
        first,
        id=f"{first['id']}9",
        status="ACTIVE",
        taskDefinition=bad,
        desiredCount=0,
        runningCount=0,
        pendingCount=0,
        failedTasks=change.failed_tasks,
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {first['id']}9 in progress.",
        createdAt=utcnow() - timedelta(minutes=NEW_REVISION_MINUTES_AGO),
        updatedAt=utcnow() - timedelta(minutes=change.started_minutes_ago),
    )
    primary = dict(
        first,
        id=f"{first['id']}8",
        status="PRIMARY",
        taskDefinition=previous,
        desiredCount=running.desired_count,
        runningCount=change.running,
        pendingCount=max(running.desired_count - change.running, 0),
        failedTasks=0,
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {first['id']}8 in progress.",
        createdAt=utcnow() - timedelta(minutes=change.started_minutes_ago),
        updatedAt=utcnow(),
    )
    running.deployments = [primary, bad_deployment]
    running.task_definition = previous
    running.running_count = change.running
    running.pending_count = primary["pendingCount"]
