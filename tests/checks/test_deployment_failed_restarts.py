"""Crash loops: tasks that run and die again are counted, whatever ECS's failedTasks says."""

from __future__ import annotations

import pytest

from opscheck.evidence.ecs import ContainerExit, StoppedTask
from tests.checks.helpers import service
from tests.helpers import SERVICE, THRESHOLDS, load_checks, stopped, task

SCENARIO = load_checks("test_deployment_failed")
ELB = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-2:1:x)"
SERVING = service()  # 2 of 2 running


def ended(
    code: str, reason: str, exit_code: int | None = None, minutes_ago: int = 5
) -> StoppedTask:
    return task(
        reason,
        ContainerExit(name="backend", exit_code=exit_code),
        stop_code=code,
        minutes_ago=minutes_ago,
    )


@pytest.mark.parametrize(
    ("stop", "kind"),
    [
        (ended("ServiceSchedulerInitiated", ELB, 143), "ELB health check"),
        (
            ended("EssentialContainerExited", "Essential container in task exited", 1),
            "essential container exited",
        ),
        (
            ended("ServiceSchedulerInitiated", "Task failed container health checks", 143),
            "container health check",
        ),
        (
            ended("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment x)", 0),
            None,
        ),
        (ended("UserInitiated", "stopped by an operator", 137), None),
    ],
)
def test_each_stop_is_told_routine_or_abnormal(stop: StoppedTask, kind: str | None) -> None:
    assert stop.stop_kind == kind


def test_a_crash_loop_fails_while_the_service_still_shows_every_task_running() -> None:
    loop = stopped(*(ended("ServiceSchedulerInitiated", ELB, 143, m) for m in range(2, 12, 2)))
    with pytest.raises(
        AssertionError, match=rf"5 tasks of {SERVICE} crashed or were killed.*5 ELB health check"
    ):
        SCENARIO.test_tasks_are_not_restarting_repeatedly(loop, SERVING, THRESHOLDS)


def test_a_few_crashes_and_routine_stops_pass() -> None:
    routine = ended("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment x)", 0)
    few = stopped(routine, routine, ended("EssentialContainerExited", "exited", 1, 30))
    SCENARIO.test_tasks_are_not_restarting_repeatedly(few, SERVING, THRESHOLDS)


def test_nothing_running_is_scenario_ones_outage_not_this() -> None:
    down = SERVING.model_copy(update={"running": 0})
    loop = stopped(
        *(ended("TaskFailedToStart", "CannotPullContainerError", None, m) for m in range(9))
    )
    SCENARIO.test_tasks_are_not_restarting_repeatedly(loop, down, THRESHOLDS)
