"""Crash loops: tasks that run and die again are counted, whatever ECS's failedTasks says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscheck.evidence.ecs import ContainerExit, Deployment, EcsService, StoppedTask, StoppedTasks
from opscheck.target import load
from tests.helpers import ROOT, load_checks

SCENARIO = load_checks("test_deployment_failed")
THRESHOLDS = load("simulated", ROOT).thresholds
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
TD = "arn:aws:ecs:us-east-2:123456789012:task-definition/saaspe-production-backend:7"
ELB = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-2:1:x)"


def task(code: str, reason: str, exit_code: int | None = None, minutes_ago: int = 5) -> StoppedTask:
    return StoppedTask(
        arn=f"arn:aws:ecs:us-east-2:123456789012:task/c/{minutes_ago:032x}",
        task_definition=TD,
        stop_code=code,
        stopped_reason=reason,
        stopped_at=NOW - timedelta(minutes=minutes_ago),
        containers=(ContainerExit(name="backend", exit_code=exit_code),),
    )


def stopped(*tasks: StoppedTask) -> StoppedTasks:
    return StoppedTasks(service="api", window_minutes=60, tasks=tasks)


SERVING = EcsService(
    cluster="c",
    name="api",
    status="ACTIVE",
    desired=2,
    running=2,
    pending=0,
    deployments=(
        Deployment(
            id="ecs-svc/1", status="PRIMARY", task_definition=TD, desired=2, running=2, pending=0
        ),
    ),
)


@pytest.mark.parametrize(
    ("stop", "kind"),
    [
        (task("ServiceSchedulerInitiated", ELB, 143), "ELB health check"),
        (
            task("EssentialContainerExited", "Essential container in task exited", 1),
            "essential container exited",
        ),
        (
            task("ServiceSchedulerInitiated", "Task failed container health checks", 143),
            "container health check",
        ),
        (
            task(
                "ServiceSchedulerInitiated",
                "Scaling activity initiated by (deployment ecs-svc/1)",
                0,
            ),
            None,
        ),
        (task("UserInitiated", "stopped by an operator", 137), None),
    ],
)
def test_each_stop_is_told_routine_or_abnormal(stop: StoppedTask, kind: str | None) -> None:
    assert stop.stop_kind == kind


def test_a_crash_loop_fails_while_the_service_still_shows_every_task_running() -> None:
    loop = stopped(*(task("ServiceSchedulerInitiated", ELB, 143, m) for m in range(2, 12, 2)))
    with pytest.raises(
        AssertionError, match=r"5 tasks of api crashed or were killed.*5 ELB health check"
    ):
        SCENARIO.test_tasks_are_not_restarting_repeatedly(loop, SERVING, THRESHOLDS)


def test_a_few_crashes_and_routine_stops_pass() -> None:
    routine = task("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment x)", 0)
    few = stopped(routine, routine, task("EssentialContainerExited", "exited", 1, 30))
    SCENARIO.test_tasks_are_not_restarting_repeatedly(few, SERVING, THRESHOLDS)


def test_nothing_running_is_scenario_ones_outage_not_this() -> None:
    down = SERVING.model_copy(update={"running": 0})
    loop = stopped(
        *(task("TaskFailedToStart", "CannotPullContainerError", None, m) for m in range(9))
    )
    SCENARIO.test_tasks_are_not_restarting_repeatedly(loop, down, THRESHOLDS)
