"""Runbook scenario 1, "All ECS Tasks Down (P0)": is the service serving, and if not, why.

The symptom checks say whether the outage is happening; the cause checks read the
recently stopped tasks for the runbook's causes: a bad image, out of memory, bad config.
The fourth cause, an AWS service issue, is not observable from the account's own APIs.
"""

from datetime import UTC, datetime

import pytest

from opscheck.verdicts import not_firing, saw_every_stopped_task

pytestmark = pytest.mark.runbook("all-ecs-tasks-down")


@pytest.mark.health
def test_service_is_active(ecs_service):
    """A missing or draining service serves nothing, whatever its counts say."""
    where = f"service {ecs_service.name} in cluster {ecs_service.cluster}"
    assert ecs_service.status != "MISSING", f"{where} does not exist ({ecs_service.missing_reason})"
    assert ecs_service.status == "ACTIVE", f"{where} is {ecs_service.status}, expected ACTIVE"


@pytest.mark.health
def test_running_tasks_meet_desired(ecs_service, thresholds):
    """'No running tasks in ECS' is the runbook's symptom; fewer than desired is its beginning."""
    s = ecs_service
    assert s.desired >= thresholds.min_running_tasks, (
        f"{s.name} wants {s.desired} tasks (at least {thresholds.min_running_tasks} expected): "
        "the service is scaled down"
    )
    assert s.running >= s.desired, (
        f"{s.name}: {s.running} of {s.desired} tasks running, {s.pending} pending"
    )


@pytest.mark.health
def test_targets_are_healthy(target_health, thresholds):
    """Unhealthy or absent targets are why the ALB answers 503."""
    th = target_health
    assert th.exists, f"target group {th.target_group} does not exist"
    bad = ", ".join(f"{t.id} {t.state} ({t.reason}: {t.description})" for t in th.unhealthy)
    assert not th.unhealthy, f"{len(th.unhealthy)} of {len(th.targets)} targets not healthy: {bad}"
    assert len(th.healthy) >= thresholds.min_running_tasks, (
        f"{th.target_group} has {len(th.healthy)} healthy targets "
        f"(at least {thresholds.min_running_tasks} expected): nothing to route requests to"
    )


@pytest.mark.health
def test_unhealthy_targets_alarm_is_not_firing(alarms, target):
    """The runbook's first symptom: CloudWatch alarm on unhealthy ALB targets."""
    not_firing(alarms, target.alarms.alb_unhealthy_targets)


@pytest.mark.health
def test_health_endpoint_answers(health_endpoint):
    """What users see: the application's health URL answers 2xx within its timeout."""
    h = health_endpoint
    assert h.error is None, f"GET {h.url}: {h.error}"
    assert h.status is not None and 200 <= h.status < 300, (
        f"GET {h.url} answered {h.status}"
        + (f" in {h.elapsed_ms:.0f} ms" if h.elapsed_ms is not None else "")
        + f": {h.body[:80]}"
    )


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", cause="failed-deployment")
def test_no_tasks_failed_to_pull_their_image(stopped_tasks, task_definitions, fact):
    """A task that cannot pull its image is the runbook's 'bad Docker image'.

    The rollback goes to the newest ACTIVE revision before the one deployed, not to the
    runbook's hard-coded ':2'; the summary prints that revision in the runbook's command.
    """
    bad = [t for t in stopped_tasks.tasks if t.failed_to_pull_image]
    previous = task_definitions.previous_revision
    if previous is not None:
        fact("rollback_to", f"{task_definitions.family}:{previous}")
    rollback = f"; roll back to {task_definitions.family}:{previous}" if previous else ""
    assert not bad, _stopped(bad, stopped_tasks, "could not pull their image") + rollback
    saw_every_stopped_task(stopped_tasks, "could not pull their image")


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", cause="resource-exhaustion")
def test_no_tasks_killed_out_of_memory(stopped_tasks):
    """Exit code 137 or OutOfMemoryError: the task outgrew its memory limit."""
    bad = [t for t in stopped_tasks.tasks if t.killed_out_of_memory]
    assert not bad, _stopped(bad, stopped_tasks, "were killed out of memory")
    saw_every_stopped_task(stopped_tasks, "were killed out of memory")


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", cause="configuration-error")
def test_no_tasks_failed_on_configuration(stopped_tasks):
    """Secrets or parameters the task definition names that cannot be resolved: bad env vars."""
    bad = [t for t in stopped_tasks.tasks if t.failed_on_configuration]
    assert not bad, _stopped(bad, stopped_tasks, "failed on their configuration")
    saw_every_stopped_task(stopped_tasks, "failed on their configuration")


def _stopped(tasks, evidence, what):
    # A task still stopping has no stoppedAt yet: it is the latest.
    latest = max(tasks, key=lambda t: t.stopped_at or datetime.max.replace(tzinfo=UTC))
    return (
        f"{len(tasks)} tasks of {evidence.service} {what} in the last "
        f"{evidence.window_minutes} min; latest: {latest.summary()}"
    )
