"""Evidence from ECS: the service and its recently stopped tasks."""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source

# Substrings of stoppedReason / container reason, as ECS writes them, by what they mean.
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
IMAGE_ERRORS = ("CannotPullContainerError", "CannotPullImageManifestError", "pull image manifest")
MEMORY_ERRORS = ("OutOfMemoryError", "OutOfMemory", "killed due to memory usage")
CONFIG_ERRORS = (
    "ResourceInitializationError",
    "CannotCreateContainerError",
    "InvalidParameterException",
    "unable to pull secrets",
)
OOM_EXIT_CODE = 137  # SIGKILL: from the OOM killer, unless ECS itself was stopping the task
# Stops ECS itself began: a container that ignores SIGTERM is then killed with 137 too.
STOPPED_BY_ECS = (
    "ServiceSchedulerInitiated",
    "UserInitiated",
    "SpotInterruption",
    "TerminationNotice",
    "InfrastructureHealth",
)
STILL_STOPPING = datetime.max.replace(tzinfo=UTC)
MAX_STOPPED_TASKS = 1000  # ten pages of ListTasks: ECS keeps stopped tasks for about an hour
DESCRIBE_BATCH = 100  # DescribeTasks takes at most 100 task ARNs
DESCRIBING = 4  # DescribeTasks calls in flight at once while the pages are listed


def revision_name(arn: str) -> str:
    """'family:N' of a task definition ARN: how the console, the CLI and the runbook name it."""
    return arn.rpartition("/")[2]


class Deployment(Model):
    id: str
    status: str
    task_definition: str
    desired: int
    running: int
    pending: int
    failed_tasks: int = 0
    rollout_state: str | None = None
    rollout_state_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def revision(self) -> str:
        """The task definition it deploys, as 'family:N'."""
        return revision_name(self.task_definition)


class ServiceEvent(Model):
    created_at: datetime
    message: str


class DeploymentSettings(Model):
    """How ECS rolls out and rolls back: the service's deploymentConfiguration."""

    minimum_healthy_percent: int | None = None
    maximum_percent: int | None = None
    circuit_breaker: bool = False
    circuit_breaker_rollback: bool = False
    alarms: tuple[str, ...] = ()
    alarms_enabled: bool = False
    alarms_rollback: bool = False

    def minimum_healthy_tasks(self, desired: int) -> int:
        """How many tasks ECS keeps running during a deployment: below that is real loss.

        ECS's default for a rolling update is 100% (Amazon ECS, deployment configuration).
        """
        percent = 100 if self.minimum_healthy_percent is None else self.minimum_healthy_percent
        return math.ceil(desired * percent / 100)


class EcsService(Model):
    cluster: str
    name: str
    status: str  # ACTIVE, DRAINING, INACTIVE, or MISSING when ECS does not know it
    missing_reason: str | None = None
    desired: int = 0
    running: int = 0
    pending: int = 0
    task_definition: str | None = None
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    settings: DeploymentSettings = DeploymentSettings()
    target_groups: tuple[str, ...] = ()
    health_check_grace_period_s: int | None = None

    @property
    def primary(self) -> Deployment | None:
        """The deployment ECS is rolling out or running: the PRIMARY one (None if none)."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


def describe_service(ctx: Context) -> dict[str, Any]:
    """The service as ECS describes it, read once per run however many sources need it.

    When ECS does not know the service the answer is {"missing": reason}; a missing
    cluster raises ClusterNotFoundException, for the caller to explain.
    """

    def read() -> dict[str, Any]:
        answer = ctx.aws.client("ecs").describe_services(
            cluster=ctx.target.ecs.cluster, services=[ctx.target.ecs.service]
        )
        if answer["services"]:
            return answer["services"][0]
        failures = answer.get("failures") or [{"reason": "not returned"}]
        return {"missing": failures[0].get("reason", "not returned")}

    return ctx.once("ecs:DescribeServices", read)


def _settings(config: dict[str, Any]) -> DeploymentSettings:
    breaker = config.get("deploymentCircuitBreaker", {})
    alarms = config.get("alarms", {})
    return DeploymentSettings(
        minimum_healthy_percent=config.get("minimumHealthyPercent"),
        maximum_percent=config.get("maximumPercent"),
        circuit_breaker=breaker.get("enable", False),
        circuit_breaker_rollback=breaker.get("rollback", False),
        alarms=tuple(alarms.get("alarmNames", [])),
        alarms_enabled=alarms.get("enable", False),
        alarms_rollback=alarms.get("rollback", False),
    )


@source("ecs_service", actions=("ecs:DescribeServices",))
def ecs_service(ctx: Context) -> EcsService:
    """The ECS service: status, counts, deployments, latest events, deployment settings."""
    cluster, name = ctx.target.ecs.cluster, ctx.target.ecs.service
    try:
        svc = describe_service(ctx)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ClusterNotFoundException":
            raise
        return EcsService(
            cluster=cluster,
            name=name,
            status="MISSING",
            missing_reason=f"cluster {cluster} not found",
        )
    if "missing" in svc:
        return EcsService(
            cluster=cluster, name=name, status="MISSING", missing_reason=svc["missing"]
        )
    return EcsService(
        cluster=cluster,
        name=name,
        status=svc["status"],
        desired=svc["desiredCount"],
        running=svc["runningCount"],
        pending=svc["pendingCount"],
        task_definition=svc.get("taskDefinition"),
        settings=_settings(svc.get("deploymentConfiguration", {})),
        target_groups=tuple(
            lb["targetGroupArn"] for lb in svc.get("loadBalancers", []) if "targetGroupArn" in lb
        ),
        health_check_grace_period_s=svc.get("healthCheckGracePeriodSeconds"),
        deployments=tuple(
            Deployment(
                id=d["id"],
                status=d["status"],
                task_definition=d["taskDefinition"],
                desired=d["desiredCount"],
                running=d["runningCount"],
                pending=d["pendingCount"],
                failed_tasks=d.get("failedTasks", 0),
                rollout_state=d.get("rolloutState"),
                rollout_state_reason=d.get("rolloutStateReason"),
                created_at=d.get("createdAt"),
                updated_at=d.get("updatedAt"),
            )
            for d in svc.get("deployments", [])
        ),
        events=tuple(
            ServiceEvent(created_at=e["createdAt"], message=e["message"])
            for e in svc.get("events", [])[:10]
        ),
    )


class ContainerExit(Model):
    name: str
    exit_code: int | None = None
    reason: str | None = None


class StoppedTask(Model):
    arn: str
    task_definition: str
    stop_code: str | None = None
    stopped_reason: str = ""
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    containers: tuple[ContainerExit, ...] = ()

    @property
    def revision(self) -> str:
        """The task definition it ran, as 'family:N'."""
        return revision_name(self.task_definition)

    @property
    def reasons(self) -> str:
        return " | ".join([self.stopped_reason] + [c.reason for c in self.containers if c.reason])

    @property
    def failed_to_pull_image(self) -> bool:
        return any(marker in self.reasons for marker in IMAGE_ERRORS)

    @property
    def killed_out_of_memory(self) -> bool:
        if any(marker in self.reasons for marker in MEMORY_ERRORS):
            return True
        # A task ECS stops is killed with 137 too once its stop timeout passes.
        killed = any(c.exit_code == OOM_EXIT_CODE for c in self.containers)
        return killed and self.stop_code not in STOPPED_BY_ECS

    @property
    def failed_on_configuration(self) -> bool:
        return any(marker in self.reasons for marker in CONFIG_ERRORS)

    @property
    def stop_kind(self) -> str | None:
        """Why a task ended abnormally, in the runbook's terms; None for a routine stop.

        ECS stops a task that fails its ELB or container health checks itself
        (ServiceSchedulerInitiated), so the reason, not only the stop code, tells.
        """
        if self.failed_to_pull_image:
            return "image pull"
        if self.killed_out_of_memory:
            return "out of memory"
        if self.failed_on_configuration:
            return "configuration"
        if "failed ELB health checks" in self.reasons:
            return "ELB health check"
        if "failed container health checks" in self.reasons:
            return "container health check"
        if self.stop_code == "EssentialContainerExited":
            return "essential container exited"
        if self.stop_code == "TaskFailedToStart":
            return "failed to start"
        return None

    def summary(self) -> str:
        codes = ", ".join(f"{c.name} exit {c.exit_code}" for c in self.containers if c.exit_code)
        return f"{self.revision} {self.stop_code or ''}: {self.reasons}" + (
            f" ({codes})" if codes else ""
        )


class StoppedTasks(Model):
    service: str
    window_minutes: int
    tasks: tuple[StoppedTask, ...]

    @property
    def abnormal(self) -> tuple[StoppedTask, ...]:
        """The tasks of the window that crashed or were killed, not stopped as routine."""
        return tuple(t for t in self.tasks if t.stop_kind is not None)

    @staticmethod
    def latest(tasks: Iterable[StoppedTask]) -> StoppedTask:
        """The task that stopped last; one still stopping has no stoppedAt yet and is it."""
        return max(tasks, key=lambda t: t.stopped_at or STILL_STOPPING)

    def abnormal_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for task in self.abnormal:
            counts[task.stop_kind] = counts.get(task.stop_kind, 0) + 1  # type: ignore[index]
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    # Set when the read stopped at MAX_STOPPED_TASKS with more pages left: then a check that
    # finds nothing wrong has not seen every task.
    cut_at: int | None = None


@source("stopped_tasks", actions=("ecs:ListTasks", "ecs:DescribeTasks"))
def stopped_tasks(ctx: Context) -> StoppedTasks:
    """Tasks of the service stopped within the window, with their stop reasons and exit codes."""
    ecs = ctx.aws.client("ecs")
    cluster, name = ctx.target.ecs.cluster, ctx.target.ecs.service
    window = ctx.target.thresholds.stopped_task_window_minutes
    # ListTasks pages at 100 and DescribeTasks takes at most 100 ARNs (botocore's ECS model):
    # every page is read, up to a bound that a crash loop, not a healthy service, reaches.
    # Each page is described while the next is listed: pages + 1 round trips, not twice as many.
    arns: list[str] = []
    cut_at = None
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=name, desiredStatus="STOPPED"
    )
    with ThreadPoolExecutor(DESCRIBING, thread_name_prefix="describe-tasks") as pool:
        batches = []
        for page in pages:
            listed = page["taskArns"]
            arns += listed
            batches += [
                pool.submit(
                    ecs.describe_tasks, cluster=cluster, tasks=listed[i : i + DESCRIBE_BATCH]
                )
                for i in range(0, len(listed), DESCRIBE_BATCH)
            ]
            if len(arns) >= MAX_STOPPED_TASKS and page.get("nextToken"):
                cut_at = len(arns)
                break
        described = [task for batch in batches for task in batch.result()["tasks"]]
    since = ctx.now - timedelta(minutes=window)
    tasks = tuple(
        StoppedTask(
            arn=t["taskArn"],
            task_definition=t["taskDefinitionArn"],
            stop_code=t.get("stopCode"),
            stopped_reason=t.get("stoppedReason", ""),
            started_at=t.get("startedAt"),
            stopped_at=t.get("stoppedAt"),
            containers=tuple(
                ContainerExit(name=c["name"], exit_code=c.get("exitCode"), reason=c.get("reason"))
                for c in t.get("containers", [])
            ),
        )
        for t in described
        # ListTasks filters by service on AWS; the group keeps that true on other endpoints.
        if t.get("group") == f"service:{name}"
        and (t.get("stoppedAt") is None or t["stoppedAt"] >= since)
    )
    return StoppedTasks(service=name, window_minutes=window, tasks=tasks, cut_at=cut_at)
