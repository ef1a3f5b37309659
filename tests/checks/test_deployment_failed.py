"""Scenario 5 (deployment failed): its checks on hand-built evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from opscheck.evidence.ecs import EcsService, ServiceEvent
from opscheck.evidence.elb import HealthCheck, TargetHealth
from opscheck.evidence.github import DeployRuns, Job, Step, WorkflowRun
from opscheck.evidence.taskdefs import ContainerConfig, TaskDefinitions
from opscheck.outcomes import Inconclusive
from tests.checks.helpers import deployment, service
from tests.helpers import NOW, REPO, SIMULATED, TASK_DEFINITION, THRESHOLDS, WORKFLOW, load_checks

SECRETS = "arn:aws:secretsmanager:us-east-2:123456789012:secret:saaspe/production/"

scenario5 = load_checks("test_deployment_failed")


# -- scenario 5 checks -----------------------------------------------------------------------


def run(run_id: int, conclusion: str | None, age: timedelta, status: str = "completed"):
    return WorkflowRun(
        id=run_id,
        run_number=run_id,
        status=status,
        conclusion=conclusion,
        head_sha="a1b2c3d4e5f6",
        html_url=f"https://github.com/{REPO}/actions/runs/{run_id}",
        created_at=NOW - age,
    )


def runs(*found: WorkflowRun, **fields: Any) -> DeployRuns:
    values: dict[str, Any] = {
        "repo": REPO,
        "workflow": WORKFLOW,
        "checked_at": NOW,
        "runs": found,
        "last_success": next((r for r in found if r.conclusion == "success"), None),
    }
    return DeployRuns(**(values | fields))


def failed_job(step_name: str) -> Job:
    return Job(
        id=2,
        name="deploy",
        status="completed",
        conclusion="failure",
        html_url=f"https://github.com/{REPO}/actions/runs/300/job/2",
        steps=(
            Step(number=1, name="Checkout", status="completed", conclusion="success"),
            Step(number=2, name=step_name, status="completed", conclusion="failure"),
        ),
    )


GOOD = run(200, "success", timedelta(days=2))
FAILED = run(300, "failure", timedelta(hours=1))


def test_last_deploy_succeeded_passes() -> None:
    scenario5.test_last_deploy_run_succeeded(runs(GOOD))
    scenario5.test_deploy_did_not_fail_building_the_image(runs(GOOD))


def test_a_cancelled_run_is_not_the_last_deploy() -> None:
    evidence = runs(run(400, "cancelled", timedelta(minutes=5)), GOOD)
    scenario5.test_last_deploy_run_succeeded(evidence)


def test_failed_deploy_names_the_failed_step() -> None:
    evidence = runs(FAILED, GOOD, failed_jobs=(failed_job("Run tests"),))
    with pytest.raises(
        AssertionError, match=r"concluded failure .* job 'deploy' step 2 'Run tests'"
    ):
        scenario5.test_last_deploy_run_succeeded(evidence)
    scenario5.test_deploy_did_not_fail_building_the_image(evidence)


@pytest.mark.parametrize("step", ["Build and push Docker image", "docker build", "Push image"])
def test_a_failed_image_step_is_a_docker_build_failure(step: str) -> None:
    evidence = runs(FAILED, GOOD, failed_jobs=(failed_job(step),))
    with pytest.raises(AssertionError, match=f"'{step}' failure in run 300, https://github.com"):
        scenario5.test_deploy_did_not_fail_building_the_image(evidence)


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (runs(), "no runs of workflow backend-deploy.yml"),
        (runs(run(500, None, timedelta(minutes=3), "in_progress")), "has completed a deploy"),
    ],
    ids=["no-runs", "none-completed"],
)
def test_no_completed_deploy_is_inconclusive(evidence: DeployRuns, reason: str) -> None:
    for check in (
        scenario5.test_last_deploy_run_succeeded,
        scenario5.test_deploy_did_not_fail_building_the_image,
    ):
        with pytest.raises(Inconclusive, match=reason):
            check(evidence)


def test_unreadable_jobs_leave_the_build_cause_inconclusive() -> None:
    evidence = runs(FAILED, GOOD, jobs_error="GET .../jobs answered 500")
    with pytest.raises(Inconclusive, match="its jobs could not be read: GET"):
        scenario5.test_deploy_did_not_fail_building_the_image(evidence)


def test_rerun_records_the_last_successful_run() -> None:
    facts: dict[str, str] = {}
    scenario5.test_a_successful_deploy_run_can_be_rerun(runs(FAILED, GOOD), facts.__setitem__)
    assert facts == {"rerun_run_id": "200"}


def test_no_successful_run_cannot_be_rerun() -> None:
    with pytest.raises(AssertionError, match="nothing to re-run; roll back with Option 1"):
        scenario5.test_a_successful_deploy_run_can_be_rerun(runs(FAILED), lambda *a: None)


@pytest.mark.parametrize(("days", "ok"), [(29.9, True), (30, True), (30.1, False)])
def test_a_run_older_than_30_days_cannot_be_rerun(days: float, ok: bool) -> None:
    evidence = runs(run(200, "success", timedelta(days=days)))
    check = scenario5.test_a_successful_deploy_run_can_be_rerun
    if ok:
        check(evidence, lambda *a: None)
        return
    with pytest.raises(AssertionError, match="`gh run rerun 200` would be refused"):
        check(evidence, lambda *a: None)


EVIDENCE = SimpleNamespace(collected_at=NOW)


def rollout(evidence: EcsService) -> None:
    scenario5.test_ecs_rollout_completed(evidence, THRESHOLDS, EVIDENCE)


def test_completed_rollout_passes() -> None:
    rollout(service())


@pytest.mark.parametrize(("minutes", "ok"), [(29, True), (30, True), (31, False)])
def test_rollout_in_progress_is_stuck_after_the_threshold(minutes: int, ok: bool) -> None:
    fresh = deployment(
        rollout_state="IN_PROGRESS", created_at=NOW - timedelta(minutes=minutes), running=0
    )
    evidence = service(fresh, deployment(id="ecs-svc/0", status="ACTIVE"))
    if ok:
        rollout(evidence)
        return
    with pytest.raises(AssertionError, match="IN_PROGRESS for 31 min \\(at most 30 min"):
        rollout(evidence)


def test_failed_rollout_fails_with_its_reason_and_latest_event() -> None:
    failed = deployment(rollout_state="FAILED", rollout_state_reason="circuit breaker: failed")
    event = ServiceEvent(created_at=NOW, message="(service x) rolling back to :42")
    with pytest.raises(AssertionError, match=r"rollout FAILED: circuit breaker.*rolling back"):
        rollout(service(failed, events=(event,)))


def test_an_older_failed_deployment_still_fails() -> None:
    older = deployment(id="ecs-svc/0", status="ACTIVE", rollout_state="FAILED")
    with pytest.raises(AssertionError, match="ecs-svc/0 \\(ACTIVE\\)"):
        rollout(service(deployment(), older))


def test_two_primaries_fail() -> None:
    with pytest.raises(AssertionError, match="2 PRIMARY deployments"):
        rollout(service(deployment(), deployment(id="ecs-svc/2")))


@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (service(status="MISSING", missing_reason="MISSING", deployments=()), "does not exist"),
        (service(deployment(rollout_state=None)), "no rolloutState"),
        (service(deployment(rollout_state="IN_PROGRESS", created_at=None)), "no createdAt"),
    ],
)
def test_rollout_without_what_it_needs_is_inconclusive(evidence: EcsService, reason: str) -> None:
    with pytest.raises(Inconclusive, match=reason):
        rollout(evidence)


def test_failed_tasks_while_serving_fail() -> None:
    scenario5.test_tasks_are_not_failing_to_start(service())
    flapping = service(deployment(failed_tasks=4, running=0), running=2)
    with pytest.raises(AssertionError, match="4 tasks of saaspe-production-backend:43 failed"):
        scenario5.test_tasks_are_not_failing_to_start(flapping)


def test_failed_tasks_with_nothing_running_are_scenario_1s() -> None:
    scenario5.test_tasks_are_not_failing_to_start(
        service(deployment(failed_tasks=4, running=0), running=0)
    )


def container(**fields: Any) -> ContainerConfig:
    values: dict[str, Any] = {
        "name": "backend",
        "cpu": 512,
        "memory": 1024,
        "environment": ("LOG_LEVEL", "NODE_ENV", "PORT"),
        "secrets": tuple((n, f"{SECRETS}{n}") for n in ("DATABASE_URL", "REDIS_URL", "SENTRY_DSN")),
        "health_check": ("CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"),
    }
    return ContainerConfig(**(values | fields))


def taskdef(*containers: ContainerConfig, **fields: Any) -> TaskDefinitions:
    values: dict[str, Any] = {
        "family": "saaspe-production-backend",
        "active_revisions": (42, 43),
        "current_arn": f"{TASK_DEFINITION}:43",
        "cpu": "512",
        "memory": "1024",
        "containers": containers or (container(),),
    }
    return TaskDefinitions(**(values | fields))


TASKDEF_CHECKS = (
    scenario5.test_container_health_check_is_defined,
    scenario5.test_essential_containers_have_cpu_and_memory_limits,
    lambda td: scenario5.test_required_environment_is_set(td, SIMULATED),
    scenario5.test_secrets_come_from_a_secret_store,
)


@pytest.mark.parametrize("check", TASKDEF_CHECKS)
def test_a_sound_task_definition_passes(check: Callable[[TaskDefinitions], None]) -> None:
    check(taskdef())


@pytest.mark.parametrize("check", TASKDEF_CHECKS)
@pytest.mark.parametrize(
    ("evidence", "reason"),
    [
        (taskdef(current_arn=None, containers=()), "runs no task definition"),
        (taskdef(container(essential=False)), "no essential container"),
    ],
)
def test_no_task_definition_is_inconclusive(check, evidence, reason: str) -> None:
    with pytest.raises(Inconclusive, match=reason):
        check(evidence)


@pytest.mark.parametrize("command", [(), ("NONE",)])
def test_no_container_health_check_fails(command: tuple[str, ...]) -> None:
    sidecar = container(name="xray", essential=False, health_check=())
    with pytest.raises(AssertionError, match=":43: essential container\\(s\\) backend define"):
        scenario5.test_container_health_check_is_defined(
            taskdef(container(health_check=command), sidecar)
        )


def target_group(**check: Any) -> TargetHealth:
    values = {"enabled": True, "protocol": "HTTP", "path": "/health"}
    return TargetHealth(
        target_group="saaspe-production-tg", health_check=HealthCheck(**values | check)
    )


def test_target_group_health_check() -> None:
    check = scenario5.test_target_group_health_check_is_enabled
    check(target_group())
    with pytest.raises(AssertionError, match="saaspe-production-tg has its health check disabled"):
        check(target_group(enabled=False))
    with pytest.raises(AssertionError, match="asks no path"):
        check(target_group(protocol="TCP", path=None))
    with pytest.raises(Inconclusive, match="does not exist"):
        check(TargetHealth(target_group="saaspe-production-tg", exists=False))


@pytest.mark.parametrize(
    ("evidence", "missing"),
    [
        (taskdef(container(cpu=None, memory=None), cpu=None, memory=None), "no memory and no cpu"),
        (taskdef(container(memory=None, memory_reservation=512), memory=None), "no memory limit"),
        (taskdef(container(cpu=None), cpu=None), "no cpu limit"),
    ],
)
def test_missing_limits_fail(evidence: TaskDefinitions, missing: str) -> None:
    with pytest.raises(AssertionError, match=f"backend has {missing}"):
        scenario5.test_essential_containers_have_cpu_and_memory_limits(evidence)


def test_limits_at_either_level_pass() -> None:
    check = scenario5.test_essential_containers_have_cpu_and_memory_limits
    check(taskdef(container(cpu=None, memory=None)))
    check(taskdef(container(), cpu=None, memory=None))


def test_required_environment() -> None:
    check = scenario5.test_required_environment_is_set
    no_redis = container(secrets=((n, f"{SECRETS}{n}") for n in ("DATABASE_URL", "SENTRY_DSN")))
    with pytest.raises(AssertionError, match="container backend lacks REDIS_URL"):
        check(taskdef(no_redis), SIMULATED)
    in_plain = container(environment=("NODE_ENV", "REDIS_URL"), secrets=no_redis.secrets)
    check(taskdef(in_plain), SIMULATED)
    empty = SIMULATED.model_copy(
        update={"ecs": SIMULATED.ecs.model_copy(update={"required_env": []})}
    )
    with pytest.raises(Inconclusive, match=r"required_env is empty in simulated\.toml"):
        check(taskdef(), empty)


def test_secrets_outside_a_secret_store_fail() -> None:
    check = scenario5.test_secrets_come_from_a_secret_store
    plain = container(
        environment=("DATABASE_PASSWORD", "NODE_ENV"), plain_secrets=("DATABASE_PASSWORD",)
    )
    with pytest.raises(AssertionError, match="plain environment \\(backend: DATABASE_PASSWORD\\)"):
        check(taskdef(plain))
    ssm = container(
        secrets=(
            ("A", "arn:aws:ssm:us-east-2:123456789012:parameter/prod/a"),
            ("B", "prod-b"),  # a parameter of the same Region, by name
        )
    )
    check(taskdef(ssm))
    s3 = container(secrets=(("C", "arn:aws:s3:::bucket/c"),))
    with pytest.raises(AssertionError, match="neither Secrets Manager nor SSM: backend: C from s3"):
        check(taskdef(s3))
