"""Runbook scenario 1, "All ECS Tasks Down (P0)": is the service serving, and if not, why.

The symptom checks say whether the outage is happening; the cause checks read the
recently stopped tasks for the runbook's causes: a bad image, out of memory, bad config.
The fourth cause, an AWS service issue, is not observable from the account's own APIs.
"""


import pytest

from opscheck import fail
from opscheck.verdicts import not_firing, saw_every_stopped_task

pytestmark = pytest.mark.runbook("all-ecs-tasks-down")


@pytest.mark.health
def test_service_is_active(ecs_service):
    """A missing or draining service serves nothing, whatever its counts say."""
    where = f"service {ecs_service.name} in cluster {ecs_service.cluster}"
    assert ecs_service.status != "MISSING", f"{where} does not exist ({ecs_service.missing_reason})"
    assert ecs_service.status == "ACTIVE", f"{where} is {ecs_service.status}, expected ACTIVE"


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", severity=("P0", "P1", "P2"))
def test_running_tasks_meet_desired(ecs_service, thresholds):
    """'No running tasks in ECS' is the runbook's outage (P0). Fewer than desired while some
    still run is lost capacity, not an outage: P1 below the deployment's minimum healthy
    percent (what ECS itself keeps running during a deployment), P2 at or above it."""
    s = ecs_service
    if s.desired < thresholds.min_running_tasks:
        fail(
            f"{s.name} wants {s.desired} tasks (at least {thresholds.min_running_tasks} "
            "expected): the service is scaled down",
            "P0" if s.running == 0 else "P1",
        )
    counts = f"{s.name}: {s.running} of {s.desired} tasks running, {s.pending} pending"
    if s.desired and s.running == 0:
        fail(counts, "P0")
    if s.running < s.desired:
        floor = s.settings.minimum_healthy_tasks(s.desired)
        severity = "P1" if s.running < floor else "P2"
        fail(f"{counts}; its minimum healthy is {floor}", severity)


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", severity=("P0", "P1", "P2"))
def test_targets_are_healthy(target_health, thresholds):
    """Unhealthy or absent targets are why the ALB answers 503: with none healthy it is the
    runbook's outage (P0); with some, the healthy ones still serve: P1 when fewer than half
    (or than the environment's minimum) are healthy, P2 otherwise."""
    th = target_health
    if not th.exists:
        fail(f"target group {th.target_group} does not exist", "P0")
    healthy, unhealthy = len(th.healthy), len(th.unhealthy)
    if unhealthy:
        bad = ", ".join(f"{t.id} {t.state} ({t.reason}: {t.description})" for t in th.unhealthy)
        message = f"{unhealthy} of {len(th.targets)} targets not healthy: {bad}"
        if healthy == 0:
            fail(message, "P0")
        weak = healthy < unhealthy or healthy < thresholds.min_running_tasks
        fail(message, "P1" if weak else "P2")
    if healthy < thresholds.min_running_tasks:
        fail(
            f"{th.target_group} has {healthy} healthy targets "
            f"(at least {thresholds.min_running_tasks} expected): nothing to route requests to",
            "P0" if healthy == 0 else "P1",
        )


@pytest.mark.health
@pytest.mark.runbook("all-ecs-tasks-down", severity=("P0", "P1"))
def test_unhealthy_targets_alarm_is_not_firing(alarms, target, target_health):
    """The runbook's first symptom: CloudWatch alarm on unhealthy ALB targets. It fires for
    one unhealthy target as for all: an outage (P0) only when no target is healthy."""
    serving = len(target_health.healthy) if target_health.exists else 0
    note = f"{serving} of {len(target_health.targets)} targets still healthy" if serving else ""
    not_firing(alarms, target.alarms.alb_unhealthy_targets, "P1" if serving else "P0", note)


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
    latest = evidence.latest(tasks)
    return (
        f"{len(tasks)} tasks of {evidence.service} {what} in the last "
        f"{evidence.window_minutes} min; latest: {latest.summary()}"
    )
