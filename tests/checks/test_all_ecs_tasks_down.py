"""Scenario 1 (all ECS tasks down): its checks called directly on hand-built evidence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from opscheck.evidence.cloudwatch import Alarm
from opscheck.evidence.ecs import ContainerExit, EcsService, StoppedTasks
from opscheck.evidence.http import HealthResponse
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.outcomes import Inconclusive
from tests.checks.helpers import alarms, target, targets
from tests.helpers import (
    EXIT_137,
    IMAGE_PULL_FAILED,
    NOW,
    OUT_OF_MEMORY,
    REPLACED_BY_DEPLOYMENT,
    SECRETS_MISSING,
    SERVICE,
    TASK_DEFINITION,
    THRESHOLDS,
    load_checks,
    stopped,
    task,
    thresholds,
)
from tests.helpers import SIMULATED as TARGET

scenario1 = load_checks("test_all_ecs_tasks_down")


CLUSTER = TARGET.ecs.cluster
TARGET_GROUP = TARGET.alb.target_group
UNHEALTHY_ALARM = TARGET.alarms.alb_unhealthy_targets
HEALTH_URL = "https://api.saaspe.example/health"


def service(**fields: object) -> EcsService:
    values: dict[str, object] = {
        "cluster": CLUSTER,
        "name": SERVICE,
        "status": "ACTIVE",
        "desired": 2,
        "running": 2,
        "pending": 0,
        "task_definition": f"{TASK_DEFINITION}:42",
    }
    return EcsService(**(values | fields))


def alarm(name: str, state: str, reason: str = "") -> Alarm:
    return Alarm(name=name, state=state, reason=reason, updated_at=NOW - timedelta(minutes=7))


def health(**fields: object) -> HealthResponse:
    return HealthResponse(**({"url": HEALTH_URL, "timeout_s": 5.0} | fields))


REVISIONS = TaskDefinitions(
    family="saaspe-production-backend",
    active_revisions=(41, 42, 43),
    current_arn=f"{TASK_DEFINITION}:43",
)


def image_check(evidence: StoppedTasks, facts: dict[str, str] | None = None) -> None:
    """The image check with revisions 41-43 active and 43 deployed; it records into `facts`."""
    recorded = {} if facts is None else facts
    scenario1.test_no_tasks_failed_to_pull_their_image(evidence, REVISIONS, recorded.__setitem__)


CAUSE_CHECKS = (
    image_check,
    scenario1.test_no_tasks_killed_out_of_memory,
    scenario1.test_no_tasks_failed_on_configuration,
)


# -- service status --------------------------------------------------------------------------


def test_active_service_passes() -> None:
    scenario1.test_service_is_active(service())


@pytest.mark.parametrize(
    "reason",
    ["MISSING", f"cluster {CLUSTER} not found"],
    ids=["service-missing", "cluster-missing"],
)
def test_missing_service_fails_with_its_reason(reason: str) -> None:
    evidence = service(status="MISSING", missing_reason=reason, desired=0, running=0)
    expected = f"service {SERVICE} in cluster {CLUSTER} does not exist ({reason})"
    with pytest.raises(AssertionError, match=re.escape(expected)):
        scenario1.test_service_is_active(evidence)


@pytest.mark.parametrize("status", ["DRAINING", "INACTIVE"])
def test_service_not_active_fails(status: str) -> None:
    with pytest.raises(AssertionError, match=f"is {status}, expected ACTIVE"):
        scenario1.test_service_is_active(service(status=status))


# -- running tasks ---------------------------------------------------------------------------


@pytest.mark.parametrize(("desired", "running"), [(2, 2), (2, 3), (1, 1)])
def test_running_meeting_desired_passes(desired: int, running: int) -> None:
    """Running above desired is a deployment overlapping old and new tasks, not an outage."""
    scenario1.test_running_tasks_meet_desired(service(desired=desired, running=running), THRESHOLDS)


def test_no_running_tasks_fails() -> None:
    with pytest.raises(AssertionError, match="0 of 2 tasks running, 0 pending"):
        scenario1.test_running_tasks_meet_desired(service(running=0), THRESHOLDS)


def test_fewer_running_than_desired_fails_and_counts_pending() -> None:
    with pytest.raises(AssertionError, match="1 of 2 tasks running, 1 pending"):
        scenario1.test_running_tasks_meet_desired(service(running=1, pending=1), THRESHOLDS)


def test_scaled_down_service_fails() -> None:
    """Desired 0 with running 0 would satisfy running >= desired: it must not pass."""
    evidence = service(desired=0, running=0)
    with pytest.raises(AssertionError, match=r"wants 0 tasks \(at least 1 expected\)"):
        scenario1.test_running_tasks_meet_desired(evidence, THRESHOLDS)


def test_desired_below_the_threshold_fails() -> None:
    with pytest.raises(AssertionError, match=r"wants 2 tasks \(at least 3 expected\)"):
        scenario1.test_running_tasks_meet_desired(service(), thresholds(min_running_tasks=3))


def test_scaled_to_zero_passes_when_the_threshold_allows_it() -> None:
    evidence = service(desired=0, running=0)
    scenario1.test_running_tasks_meet_desired(evidence, thresholds(min_running_tasks=0))


# -- target health ---------------------------------------------------------------------------


def test_healthy_targets_pass() -> None:
    evidence = targets(target("10.0.1.11", "healthy"), target("10.0.2.12", "healthy"))
    scenario1.test_targets_are_healthy(evidence, THRESHOLDS)


def test_draining_target_beside_healthy_ones_passes() -> None:
    evidence = targets(
        target("10.0.1.11", "healthy"),
        target(
            "10.0.2.9",
            "draining",
            "Target.DeregistrationInProgress",
            "Target deregistration is in progress",
        ),
    )
    scenario1.test_targets_are_healthy(evidence, THRESHOLDS)


def test_missing_target_group_fails() -> None:
    with pytest.raises(AssertionError, match=f"target group {TARGET_GROUP} does not exist"):
        scenario1.test_targets_are_healthy(targets(exists=False), THRESHOLDS)


def test_no_registered_targets_fails() -> None:
    with pytest.raises(AssertionError, match=r"has 0 healthy targets \(at least 1 expected\)"):
        scenario1.test_targets_are_healthy(targets(), THRESHOLDS)


def test_only_draining_targets_fail() -> None:
    evidence = targets(target("10.0.2.9", "draining", "Target.DeregistrationInProgress"))
    with pytest.raises(AssertionError, match="0 healthy targets"):
        scenario1.test_targets_are_healthy(evidence, THRESHOLDS)


def test_one_unhealthy_target_of_two_fails_naming_it() -> None:
    evidence = targets(
        target("10.0.1.11", "healthy"),
        target(
            "10.0.2.12",
            "unhealthy",
            "Target.FailedHealthChecks",
            "Health checks failed with these codes: [503]",
        ),
    )
    expected = (
        "1 of 2 targets not healthy: 10.0.2.12 unhealthy "
        "(Target.FailedHealthChecks: Health checks failed with these codes: [503])"
    )
    with pytest.raises(AssertionError, match=re.escape(expected)):
        scenario1.test_targets_are_healthy(evidence, THRESHOLDS)


def test_fewer_healthy_targets_than_the_threshold_fails() -> None:
    evidence = targets(target("10.0.1.11", "healthy"), target("10.0.2.12", "healthy"))
    with pytest.raises(AssertionError, match=r"has 2 healthy targets \(at least 3 expected\)"):
        scenario1.test_targets_are_healthy(evidence, thresholds(min_running_tasks=3))


# -- the unhealthy-targets alarm -------------------------------------------------------------


def test_alarm_ok_passes() -> None:
    scenario1.test_unhealthy_targets_alarm_is_not_firing(
        alarms(alarm(UNHEALTHY_ALARM, "OK")), TARGET, targets()
    )


def test_only_its_own_alarm_counts() -> None:
    evidence = alarms(
        alarm(UNHEALTHY_ALARM, "OK"),
        alarm(TARGET.alarms.application_errors_high, "ALARM", "Threshold Crossed"),
    )
    scenario1.test_unhealthy_targets_alarm_is_not_firing(evidence, TARGET, targets())


def test_alarm_firing_fails_with_its_reason() -> None:
    reason = (
        "Threshold Crossed: 1 out of the last 1 datapoints [2.0 (26/11/26 14:52:00)] was "
        "greater than or equal to the threshold (1.0)."
    )
    evidence = alarms(alarm(UNHEALTHY_ALARM, "ALARM", reason))
    with pytest.raises(
        AssertionError, match=re.escape(f"alarm {UNHEALTHY_ALARM} is in ALARM since")
    ) as failure:
        scenario1.test_unhealthy_targets_alarm_is_not_firing(evidence, TARGET, targets())
    assert reason in str(failure.value)
    # As every time in the reports: UTC to the second, not a datetime's repr.
    since = NOW - timedelta(minutes=7)
    assert f"since {since:%Y-%m-%d %H:%M:%S} UTC: " in str(failure.value)


def test_missing_alarm_is_inconclusive() -> None:
    evidence = alarms(missing=(UNHEALTHY_ALARM,))
    with pytest.raises(
        Inconclusive, match=f"alarm {UNHEALTHY_ALARM} does not exist in us-east-2"
    ) as outcome:
        scenario1.test_unhealthy_targets_alarm_is_not_firing(evidence, TARGET, targets())
    assert UNHEALTHY_ALARM in outcome.value.reason


def test_alarm_with_insufficient_data_is_inconclusive() -> None:
    reason = "Insufficient Data: 1 datapoint was unknown."
    evidence = alarms(alarm(UNHEALTHY_ALARM, "INSUFFICIENT_DATA", reason))
    with pytest.raises(Inconclusive, match="has insufficient data") as outcome:
        scenario1.test_unhealthy_targets_alarm_is_not_firing(evidence, TARGET, targets())
    assert reason in outcome.value.reason


# -- the health endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204])
def test_health_endpoint_2xx_passes(status: int) -> None:
    scenario1.test_health_endpoint_answers(
        health(status=status, elapsed_ms=41.5, body='{"ok":true}')
    )


def test_health_endpoint_timeout_fails_with_the_error() -> None:
    error = "no answer within 5 s (Read timed out. (read timeout=5.0))"
    with pytest.raises(AssertionError, match=re.escape(f"GET {HEALTH_URL}: no answer within 5 s")):
        scenario1.test_health_endpoint_answers(health(error=error))


def test_health_endpoint_refusing_connections_fails() -> None:
    with pytest.raises(AssertionError, match="could not connect"):
        scenario1.test_health_endpoint_answers(
            health(error="could not connect: Connection refused")
        )


def test_health_endpoint_503_fails_with_status_and_body() -> None:
    evidence = health(
        status=503, elapsed_ms=12.3, body="<html><body><h1>503 Service Temporarily Unavailable</h1>"
    )
    with pytest.raises(AssertionError, match=f"GET {HEALTH_URL} answered 503 in 12 ms") as failure:
        scenario1.test_health_endpoint_answers(evidence)
    assert "503 Service Temporarily Unavailable" in str(failure.value)


def test_health_endpoint_redirect_is_not_healthy() -> None:
    evidence = health(status=301, elapsed_ms=8.0, body="")
    with pytest.raises(AssertionError, match="answered 301"):
        scenario1.test_health_endpoint_answers(evidence)


# -- the cause checks ------------------------------------------------------------------------


def test_image_check_names_the_revision_to_roll_back_to() -> None:
    facts: dict[str, str] = {}
    with pytest.raises(AssertionError, match=r"roll back to saaspe-production-backend:42$"):
        image_check(stopped(IMAGE_PULL_FAILED), facts)
    assert facts == {"rollback_to": "saaspe-production-backend:42"}


@pytest.mark.parametrize("check", CAUSE_CHECKS, ids=lambda c: c.__name__)
def test_cause_checks_pass_on_no_stopped_tasks(check) -> None:  # type: ignore[no-untyped-def]
    check(stopped())


@pytest.mark.parametrize("check", CAUSE_CHECKS, ids=lambda c: c.__name__)
def test_cause_checks_pass_on_tasks_replaced_by_a_deployment(check) -> None:  # type: ignore[no-untyped-def]
    """A healthy service stops tasks too: every deployment replaces them, with exit 0."""
    check(
        stopped(REPLACED_BY_DEPLOYMENT, REPLACED_BY_DEPLOYMENT.model_copy(update={"arn": "arn:x"}))
    )


def test_image_pull_failure_fails_the_image_check() -> None:
    evidence = stopped(REPLACED_BY_DEPLOYMENT, IMAGE_PULL_FAILED)
    expected = (
        f"1 tasks of {SERVICE} could not pull their image in the last 60 min; "
        "latest: saaspe-production-backend:43 TaskFailedToStart: CannotPullContainerError"
    )
    with pytest.raises(AssertionError, match=re.escape(expected)):
        image_check(evidence)
    scenario1.test_no_tasks_killed_out_of_memory(evidence)
    scenario1.test_no_tasks_failed_on_configuration(evidence)


def test_out_of_memory_fails_the_memory_check_naming_the_exit_code() -> None:
    evidence = stopped(OUT_OF_MEMORY, REPLACED_BY_DEPLOYMENT)
    with pytest.raises(AssertionError, match=r"1 tasks of .* were killed out of memory") as failure:
        scenario1.test_no_tasks_killed_out_of_memory(evidence)
    assert "OutOfMemoryError: Container killed due to memory usage" in str(failure.value)
    assert "(backend exit 137)" in str(failure.value)
    image_check(evidence)
    scenario1.test_no_tasks_failed_on_configuration(evidence)


def test_exit_137_alone_fails_the_memory_check() -> None:
    with pytest.raises(AssertionError, match=r"were killed out of memory.*\(backend exit 137\)"):
        scenario1.test_no_tasks_killed_out_of_memory(stopped(EXIT_137))


def test_exit_137_of_a_task_ecs_was_stopping_is_not_out_of_memory() -> None:
    """ECS kills a task that outlives its stop timeout with SIGKILL: 137, but not memory."""
    replaced = task(
        "Scaling activity initiated by (deployment ecs-svc/4382930293827746152)",
        ContainerExit(name="backend", exit_code=137),
        stop_code="ServiceSchedulerInitiated",
    )
    assert not replaced.killed_out_of_memory
    scenario1.test_no_tasks_killed_out_of_memory(stopped(replaced))


def test_unresolvable_secret_fails_the_configuration_check() -> None:
    evidence = stopped(SECRETS_MISSING)
    with pytest.raises(AssertionError, match="failed on their configuration") as failure:
        scenario1.test_no_tasks_failed_on_configuration(evidence)
    assert "ResourceInitializationError: unable to pull secrets" in str(failure.value)
    image_check(evidence)
    scenario1.test_no_tasks_killed_out_of_memory(evidence)


def test_cause_check_counts_every_task_and_shows_the_latest() -> None:
    earlier = OUT_OF_MEMORY.model_copy(
        update={"arn": "arn:earlier", "stopped_at": NOW - timedelta(minutes=40)}
    )
    latest = OUT_OF_MEMORY.model_copy(
        update={
            "arn": "arn:latest",
            "task_definition": f"{TASK_DEFINITION}:44",
            "stopped_at": NOW - timedelta(minutes=2),
        }
    )
    with pytest.raises(
        AssertionError, match=r"^2 tasks of .* latest: saaspe-production-backend:44 "
    ):
        scenario1.test_no_tasks_killed_out_of_memory(stopped(latest, earlier))
    with pytest.raises(AssertionError, match=r"latest: saaspe-production-backend:44 "):
        scenario1.test_no_tasks_killed_out_of_memory(stopped(earlier, latest))
