"""Scenario 1 graded as the runbook's severity table grades: P0 is a complete outage.

Fewer tasks or fewer healthy targets while others still serve is lost capacity, P1 or P2.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.ecs import DeploymentSettings
from opscheck.outcomes import Failure
from tests.checks.helpers import service, target, targets
from tests.helpers import SIMULATED, THRESHOLDS, load_checks

SCENARIO = load_checks("test_all_ecs_tasks_down")


def capacity(desired: int, running: int, percent: int | None) -> object:
    settings = DeploymentSettings(minimum_healthy_percent=percent)
    return service(desired=desired, running=running, pending=desired - running, settings=settings)


def serving(*states: str) -> object:
    return targets(*(target(f"10.0.1.{n}", s) for n, s in enumerate(states)))


def severity_of(check, *args) -> str | None:
    try:
        check(*args)
    except Failure as failure:
        return failure.severity
    return None


@pytest.mark.parametrize(
    ("desired", "running", "percent", "expected"),
    [
        (4, 4, None, None),
        (4, 0, None, "P0"),  # nothing runs: the outage
        (4, 1, None, "P1"),  # below ECS's default minimum healthy (100%)
        (4, 3, 50, "P2"),  # above the deployment's minimum healthy: degraded
        (4, 2, 50, "P2"),  # at it
        (4, 1, 50, "P1"),  # below it
    ],
)
def test_running_tasks_are_graded_by_what_still_serves(desired, running, percent, expected):
    check = SCENARIO.test_running_tasks_meet_desired
    assert severity_of(check, capacity(desired, running, percent), THRESHOLDS) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (("healthy", "healthy", "healthy", "healthy"), None),
        (("unhealthy", "unhealthy"), "P0"),  # none healthy: nothing to route to
        ((), "P0"),
        (("healthy", "healthy", "healthy", "unhealthy"), "P2"),  # three still serve
        (("healthy", "unhealthy", "unhealthy", "unhealthy"), "P1"),  # most lost
        (("healthy", "draining", "initial"), None),  # a rolling deployment
    ],
)
def test_targets_are_graded_by_how_many_still_serve(states, expected):
    assert severity_of(SCENARIO.test_targets_are_healthy, serving(*states), THRESHOLDS) == expected


def test_the_unhealthy_targets_alarm_is_an_outage_only_when_nothing_serves():
    name = SIMULATED.alarms.alb_unhealthy_targets
    firing = Alarms(
        region="us-east-2",
        alarms={
            name: Alarm(name=name, state="ALARM", updated_at=datetime(2026, 12, 1, tzinfo=UTC))
        },
    )
    check = SCENARIO.test_unhealthy_targets_alarm_is_not_firing
    assert severity_of(check, firing, SIMULATED, serving("unhealthy", "unhealthy")) == "P0"
    assert severity_of(check, firing, SIMULATED, serving("healthy", "unhealthy")) == "P1"
    with pytest.raises(Failure, match="1 of 2 targets still healthy"):
        check(firing, SIMULATED, serving("healthy", "unhealthy"))
