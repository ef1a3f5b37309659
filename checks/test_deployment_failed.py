"""Runbook scenario 5, "Deployment Failed (P1)": did the last deploy land, and if not, why.

The symptom checks read the runbook's three symptoms: the GitHub Actions workflow failed,
the ECS service is unstable (its rollout failed or hangs), tasks start and stop repeatedly.
The cause checks read what the runbook lists as causes: the Docker build step that failed,
and the task definition's health checks, configuration and resource limits, which decide
whether the tasks of the next deploy can start and stay up.
"""

import re
from datetime import timedelta

import pytest

from opscheck import inconclusive
from opscheck.verdicts import saw_every_stopped_task

pytestmark = pytest.mark.runbook("deployment-failed")

# Step names of a build of the image: "Build and push Docker image", "docker build", ...
IMAGE_STEP = re.compile(r"docker|build|image|push", re.I)
# ECS takes secrets from Secrets Manager or SSM: an ARN of either, or an SSM parameter name.
SECRET_STORE = re.compile(r"^arn:[^:]+:(secretsmanager|ssm):")
# GitHub re-runs a workflow run only up to 30 days after its initial run.
RERUN_WINDOW = timedelta(days=30)


def _latest_deploy(deploy_runs):
    if not deploy_runs.runs:
        inconclusive(
            f"no runs of workflow {deploy_runs.workflow} in {deploy_runs.repo}: "
            "is [github] workflow the deploy workflow's file name?"
        )
    latest = deploy_runs.latest_deploy
    if latest is None:
        inconclusive(
            f"none of the last {len(deploy_runs.runs)} runs of {deploy_runs.workflow} has "
            "completed a deploy (all queued, running, cancelled or skipped): nothing to judge yet"
        )
    return latest


@pytest.mark.health
def test_last_deploy_run_succeeded(deploy_runs):
    """The runbook's first symptom: 'GitHub Actions workflow failed'.

    A cancelled or skipped run deployed nothing (a newer push superseded it), so the verdict
    is the newest run that completed a deploy, as `gh run list --limit 1` would show it.
    """
    latest = _latest_deploy(deploy_runs)
    steps = [step.describe() for step in deploy_runs.failed_steps]
    where = f"; failed: {', '.join(steps)}" if steps else ""
    assert latest.conclusion == "success", (
        f"the last deploy of {deploy_runs.repo} by {deploy_runs.workflow}, {latest.describe()}, "
        f"concluded {latest.conclusion} at {latest.created_at:%Y-%m-%d %H:%M} UTC{where}"
    )


@pytest.mark.health
@pytest.mark.runbook("deployment-failed", cause="docker-build-failure")
def test_deploy_did_not_fail_building_the_image(deploy_runs):
    """Cause 1, 'Docker build failure': the failed step of the last deploy builds or pushes it.

    Read from the failed run's jobs and steps (what `gh run view --log-failed` opens); a step
    is taken for an image build when its name mentions docker, build, image or push.
    """
    latest = _latest_deploy(deploy_runs)
    if latest.conclusion == "success":
        return
    if deploy_runs.jobs_error:
        inconclusive(
            f"the last deploy {latest.describe()} failed, but its jobs could not be read: "
            f"{deploy_runs.jobs_error}"
        )
    image = [step.describe() for step in deploy_runs.failed_steps if IMAGE_STEP.search(step.name)]
    assert not image, (
        f"the last deploy of {deploy_runs.repo} failed building the image: {', '.join(image)} "
        f"in run {latest.id}, {latest.html_url}"
    )


@pytest.mark.health
def test_ecs_rollout_completed(ecs_service, thresholds, evidence):
    """'ECS service unstable': one PRIMARY deployment whose rollout COMPLETED.

    A FAILED rollout is what the deployment circuit breaker reports; a rollout still
    IN_PROGRESS after `deployment_stuck_minutes` is one ECS keeps retrying without success.
    """
    s = ecs_service
    if s.status == "MISSING":
        inconclusive(f"service {s.name} does not exist ({s.missing_reason}): no deployments")
    failed = [d for d in s.deployments if d.rollout_state == "FAILED"]
    assert not failed, "; ".join(
        f"{s.name}: deployment {d.id} ({d.status}) of {d.revision} "
        f"rollout FAILED: {d.rollout_state_reason or 'no reason given'}"
        for d in failed
    ) + _latest_event(s)
    primaries = [d for d in s.deployments if d.status == "PRIMARY"]
    assert len(primaries) == 1, (
        f"{s.name} has {len(primaries)} PRIMARY deployments (exactly 1 expected)"
    )
    primary = primaries[0]
    if primary.rollout_state is None:
        inconclusive(
            f"ECS reports no rolloutState for {s.name}'s deployment {primary.id}: it does only "
            "for the rolling update (ECS) deployment controller"
        )
    if primary.rollout_state == "IN_PROGRESS":
        if primary.created_at is None:
            inconclusive(f"deployment {primary.id} of {s.name} has no createdAt to time it by")
        minutes = (evidence.collected_at - primary.created_at).total_seconds() / 60
        assert minutes <= thresholds.deployment_stuck_minutes, (
            f"{s.name}: deployment {primary.id} of "
            f"{primary.revision} has been IN_PROGRESS for "
            f"{minutes:.0f} min (at most {thresholds.deployment_stuck_minutes} min expected): "
            f"{primary.running} of {primary.desired} tasks running, {primary.failed_tasks} failed"
            + _latest_event(s)
        )
        return
    assert primary.rollout_state == "COMPLETED", (
        f"{s.name}: deployment {primary.id} rollout is {primary.rollout_state}"
    )


@pytest.mark.health
def test_tasks_are_not_failing_to_start(ecs_service):
    """'Tasks starting and stopping repeatedly': the PRIMARY deployment counts failed tasks.

    ECS counts in failedTasks every task of the deployment that failed to reach RUNNING.
    While no task runs at all the service is down: scenario 1 (P0) reports that, so this
    check speaks of the P1 case, a service still serving while its deployment keeps failing.
    """
    s = ecs_service
    if s.status == "MISSING":
        inconclusive(f"service {s.name} does not exist ({s.missing_reason}): no deployments")
    if s.running == 0:
        return
    failing = [d for d in s.deployments if d.status == "PRIMARY" and d.failed_tasks > 0]
    assert not failing, "; ".join(
        f"{s.name}: {d.failed_tasks} tasks of {d.revision} "
        f"failed to start in deployment {d.id} ({d.running} of {d.desired} running)"
        for d in failing
    ) + _latest_event(s)


@pytest.mark.health
def test_tasks_are_not_restarting_repeatedly(stopped_tasks, ecs_service, thresholds):
    """'Tasks starting and stopping repeatedly', counted as it happens: tasks that reached
    RUNNING and then exited, or that the load balancer's health check had killed. ECS's
    failedTasks misses them: it counts only consecutive failures to start, and resets once
    one task runs. While nothing runs at all, scenario 1 (P0) reports the outage."""
    s, stopped = ecs_service, stopped_tasks
    if s.status == "MISSING":
        inconclusive(f"service {s.name} does not exist ({s.missing_reason}): no tasks")
    if s.running == 0:
        return
    crashed, limit = stopped.abnormal, thresholds.max_abnormal_stops
    kinds = ", ".join(f"{n} {kind}" for kind, n in stopped.abnormal_by_kind().items())
    if len(crashed) > limit:
        latest = stopped.latest(crashed)
        raise AssertionError(
            f"{len(crashed)} tasks of {s.name} crashed or were killed in the last "
            f"{stopped.window_minutes} min ({kinds}; at most {limit} expected) while "
            f"{s.running} of {s.desired} run; latest: {latest.summary()}"
        )
    saw_every_stopped_task(stopped, "crashed or were killed")


def _latest_event(service):
    return f"; latest event: {service.events[0].message}" if service.events else ""


def _essential(task_definitions):
    td = task_definitions
    if td.current_arn is None:
        inconclusive(f"the service runs no task definition of {td.family} to read")
    if not td.essential:
        inconclusive(f"{td.current_name} has no essential container to read")
    return td.essential


@pytest.mark.config
@pytest.mark.runbook("deployment-failed", cause="health-check-failing", severity="P3")
def test_container_health_check_is_defined(task_definitions):
    """Cause 2, 'Health check failing': without a container health check, ECS cannot tell a
    hung task from a healthy one, and a deploy of a broken image looks healthy until the ALB
    says otherwise. Docker's ["NONE"] disables the check and counts as none."""
    revision = task_definitions.current_name
    bare = [
        c.name
        for c in _essential(task_definitions)
        if not c.health_check or c.health_check[0] == "NONE"
    ]
    assert not bare, (
        f"{revision}: essential container(s) {', '.join(bare)} define no health check command"
    )


@pytest.mark.config
@pytest.mark.runbook("deployment-failed", cause="health-check-failing", severity="P2")
def test_target_group_health_check_is_enabled(target_health):
    """Cause 2, 'Health check failing': the ALB's own health check must be on and ask a path,
    or a new task receives traffic whatever state it is in."""
    th = target_health
    if not th.exists:
        inconclusive(f"target group {th.target_group} does not exist: no health check to read")
    hc = th.health_check
    assert hc.enabled, f"target group {th.target_group} has its health check disabled"
    assert hc.path, (
        f"target group {th.target_group} health check ({hc.protocol}) asks no path: "
        "it checks only that the port accepts connections"
    )


@pytest.mark.config
@pytest.mark.runbook("deployment-failed", cause="resource-limits-exceeded", severity="P2")
def test_essential_containers_have_cpu_and_memory_limits(task_definitions):
    """Cause 4, 'Resource limits exceeded': a limit must exist to size against.

    A hard memory limit (container `memory` or the task's `memory`) and CPU units (container
    or task) are what the runbook's 'increase CPU/Memory' edits; a soft memoryReservation
    alone lets one container take the host's memory. Fargate requires task-level sizes, so
    on Fargate this fails only for a task definition registered for EC2.
    """
    td = task_definitions
    missing = []
    for c in _essential(td):
        lacks = [
            name
            for name, value in (("memory", c.memory or td.memory), ("cpu", c.cpu or td.cpu))
            if not value
        ]
        if lacks:
            missing.append(f"{c.name} has no {' and no '.join(lacks)} limit")
    assert not missing, (
        f"{td.current_name}: {'; '.join(missing)} (set at the container or at the task level)"
    )


@pytest.mark.config
@pytest.mark.runbook("deployment-failed", cause="configuration-error")
def test_required_environment_is_set(task_definitions, target):
    """Cause 3, 'Configuration error': a variable the service needs that the task definition
    does not set makes every task of the deploy exit on start. Needed: [ecs] required_env,
    as plain variables or secrets. The one configuration finding graded as the scenario (P1):
    a revision without a variable its service needs fails on its first start."""
    required = target.ecs.required_env
    if not required:
        inconclusive(
            f"[ecs] required_env is empty in {target.path.name}: list the variables the "
            "essential container needs to start"
        )
    containers = _essential(task_definitions)
    absent = {
        c.name: [n for n in required if n not in c.environment + tuple(s for s, _ in c.secrets)]
        for c in containers
    }
    best = min(absent, key=lambda name: len(absent[name]))
    assert not absent[best], (
        f"{task_definitions.current_name}: container {best} lacks "
        f"{', '.join(absent[best])} (required by [ecs] required_env: {', '.join(required)})"
    )


@pytest.mark.config
@pytest.mark.runbook("deployment-failed", cause="configuration-error", severity="P2")
def test_secrets_come_from_a_secret_store(task_definitions):
    """Cause 3, 'Configuration error': secrets belong in Secrets Manager or SSM (`secrets`,
    resolved at start), never in plain `environment`, where anyone who can describe the task
    definition reads them. Only names are read here, never values."""
    td = task_definitions
    revision = td.current_name or td.family
    _essential(td)
    plain = [f"{c.name}: {', '.join(c.plain_secrets)}" for c in td.containers if c.plain_secrets]
    assert not plain, (
        f"{revision} sets secret-looking variables in plain environment ({'; '.join(plain)}): "
        "move them to Secrets Manager or SSM and reference them under secrets"
    )
    elsewhere = [
        f"{c.name}: {name} from {value_from.split(':')[2]}"
        for c in td.containers
        for name, value_from in c.secrets
        if value_from.startswith("arn:") and not SECRET_STORE.match(value_from)
    ]
    assert not elsewhere, (
        f"{revision} takes secrets from neither Secrets Manager nor SSM: {'; '.join(elsewhere)}"
    )


@pytest.mark.readiness
@pytest.mark.runbook("rollback-procedures", severity="P2")
def test_a_successful_deploy_run_can_be_rerun(deploy_runs, fact):
    """Rollback 'Option 2: Via GitHub Actions': a successful deploy run exists to re-run.

    It lives here, not in a module of its own, because it reads the same deploy workflow
    runs as scenario 5 and is that scenario's way back when its deploy failed. GitHub
    re-runs a run only up to 30 days after it started; an older one cannot be re-run. The
    run found is recorded (fact `rerun_run_id`) for `gh run rerun <run-id>`.
    """
    last = deploy_runs.last_success
    assert last is not None, (
        f"no successful run of {deploy_runs.workflow} in {deploy_runs.repo}: Option 2 "
        "(`gh run rerun <run-id>`) has nothing to re-run; roll back with Option 1 (ECS)"
    )
    fact("rerun_run_id", str(last.id))
    age = deploy_runs.checked_at - last.created_at
    assert age <= RERUN_WINDOW, (
        f"the last successful deploy, {last.describe()}, started {age.days} days ago: GitHub "
        f"re-runs a run only up to {RERUN_WINDOW.days} days after it, so `gh run rerun "
        f"{last.id}` would be refused; roll back with Option 1 (ECS)"
    )
