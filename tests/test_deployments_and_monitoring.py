"""Scenario 5, the GitHub rollback option, monitoring readiness and runbook upkeep.

The sources are read from real servers on 127.0.0.1 (a GitHub-shaped HTTP server, moto);
the checks are called directly on hand-built evidence, as in test_checks.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, gather, read_actions
from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.ecs import Deployment, DeploymentSettings, EcsService, ServiceEvent
from opscheck.evidence.elb import HealthCheck, TargetHealth
from opscheck.evidence.github import DeployRuns, Job, Step, WorkflowRun, deploy_runs
from opscheck.evidence.monitoring import Dashboard, LogGroup
from opscheck.evidence.taskdefs import ContainerConfig, TaskDefinitions
from opscheck.outcomes import Inconclusive
from opscheck.runbook import Maintenance
from opscheck.target import Target, load
from tests.conftest import LocalServer, Reply, Request, StartServer, load_checks

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
SIMULATED: Target = load("simulated", ROOT)
REPO, WORKFLOW = "Dnick20/SaasPE", "backend-deploy.yml"
RUNS_PATH = f"/repos/{REPO}/actions/workflows/{WORKFLOW}/runs"
CREDENTIALS = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
TASK_DEFINITION = "arn:aws:ecs:us-east-2:123456789012:task-definition/saaspe-production-backend"
SECRETS = "arn:aws:secretsmanager:us-east-2:123456789012:secret:saaspe/production/"


scenario5 = load_checks("test_deployment_failed")
monitoring = load_checks("test_monitoring_readiness")
upkeep = load_checks("test_runbook_upkeep")


# -- the GitHub source, against a local server ----------------------------------------------


@pytest.fixture
def github(local_server: StartServer) -> Callable[..., LocalServer]:
    """A GitHub-shaped local server: routes by path under /api, with extra headers and a delay."""

    def start(
        routes: dict[str, tuple[int, Any]],
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> LocalServer:
        def answer(request: Request) -> Reply:
            route = request.path.removeprefix("/api")
            status, body = routes.get(route, (404, {"message": "Not Found"}))
            return Reply(status, body, headers=headers or {}, delay_s=delay_s)

        server = local_server(answer)
        return replace(server, url=f"{server.url}/api")

    return start


def github_context(target: Target, api_base: str | None = None) -> Context:
    if api_base is not None and target.github is not None:
        gh = target.github.model_copy(update={"api_base": api_base})
        target = target.model_copy(update={"github": gh})
    aws = ReadOnlySession("us-east-2", read_actions(), credentials=CREDENTIALS)
    return Context(target=target, aws=aws, http=requests.Session(), now=NOW)


def run_json(run_id: int, conclusion: str | None, hours_ago: float, status: str = "completed"):
    return {
        "id": run_id,
        "run_number": run_id % 1000,
        "status": status,
        "conclusion": conclusion,
        "event": "push",
        "head_branch": "main",
        "head_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "created_at": (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "display_title": "fix: rotate password=hunter2",
    }


def runs_body(*runs: dict[str, Any]) -> tuple[int, Any]:
    return 200, {"total_count": len(runs), "workflow_runs": list(runs)}


JOBS_OF_FAILED = {
    "total_count": 2,
    "jobs": [
        {"id": 1, "name": "test", "status": "completed", "conclusion": "success", "steps": []},
        {
            "id": 2,
            "name": "deploy",
            "status": "completed",
            "conclusion": "failure",
            "html_url": f"https://github.com/{REPO}/actions/runs/300/job/2",
            "steps": [
                {"name": "Checkout", "status": "completed", "conclusion": "success", "number": 1},
                {
                    "name": "Build and push Docker image",
                    "status": "completed",
                    "conclusion": "failure",
                    "number": 2,
                },
                {"name": "Deploy", "status": "completed", "conclusion": "skipped", "number": 3},
            ],
        },
    ],
}


def test_github_runs_are_read_newest_first_with_the_documented_headers(github) -> None:
    server = github(
        {RUNS_PATH: runs_body(run_json(100, "success", 30), run_json(200, "success", 2))}
    )
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert [r.id for r in found.runs] == [200, 100]
    assert found.latest_deploy.id == 200 and found.last_success.id == 200
    assert found.failed_jobs == () and found.checked_at == NOW
    first = server.requests[0]
    assert first.path == f"/api{RUNS_PATH}" and first.params == {"per_page": ["10"]}
    assert first.headers["Authorization"] == "Bearer simulated"
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert len(server.requests) == 1, "no jobs are read when the last deploy succeeded"
    assert "hunter2" not in found.model_dump_json()


def test_a_failed_deploy_reads_its_jobs_and_skips_cancelled_runs(github) -> None:
    server = github(
        {
            RUNS_PATH: runs_body(
                run_json(400, "cancelled", 1),
                run_json(500, None, 0.1, status="in_progress"),
                run_json(300, "failure", 3),
                run_json(100, "success", 30),
            ),
            f"{RUNS_PATH.split('/workflows')[0]}/runs/300/jobs": (200, JOBS_OF_FAILED),
        }
    )
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert found.latest_deploy.id == 300
    assert found.last_success.id == 100
    assert [j.name for j in found.failed_jobs] == ["deploy"]
    assert [s.name for s in found.failed_jobs[0].failed_steps] == ["Build and push Docker image"]


def test_no_success_among_recent_runs_asks_for_the_last_success(github) -> None:
    server = github({RUNS_PATH: runs_body(run_json(300, "failure", 3))})
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert found.last_success is None, "a failure the server returns anyway is filtered out"
    assert server.requests[1].params == {"status": ["success"], "per_page": ["1"]}
    assert found.jobs_error is not None and "404" in found.jobs_error


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (401, {}, "rejected the token in GITHUB_TOKEN (401)"),
        (403, {}, "may not read Actions of Dnick20/SaasPE (403): grant a fine-grained token"),
        (403, {"x-ratelimit-remaining": "0"}, "rate limit is exhausted (403)"),
        (404, {}, "GitHub answers 404, not 403, for a private repository without access"),
        (500, {}, "answered 500"),
    ],
)
def test_github_refusals_are_unavailable_naming_token_and_permission(
    github, status: int, headers: dict[str, str], expected: str
) -> None:
    server = github({RUNS_PATH: (status, {"message": "no"})}, headers)
    value = gather(["deploy_runs"], github_context(SIMULATED, server.url)).get("deploy_runs")
    assert expected in value.reason
    if status in (403, 404) and not headers:
        assert "Actions: read" in value.reason


def test_a_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    value = gather(["deploy_runs"], github_context(load("production", ROOT))).get("deploy_runs")
    assert "GITHUB_TOKEN is not set" in value.reason and "Actions: read" in value.reason


def test_a_target_without_github_is_unavailable() -> None:
    target = SIMULATED.model_copy(update={"github": None})
    value = gather(["deploy_runs"], github_context(target)).get("deploy_runs")
    assert "no [github] table in simulated.toml" in value.reason


def test_github_down_is_unavailable() -> None:
    with socket_closed() as url:
        value = gather(["deploy_runs"], github_context(SIMULATED, url)).get("deploy_runs")
    assert "could not connect" in value.reason


def test_github_slow_is_unavailable(github, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("opscheck.evidence.github.TIMEOUT_S", (1.0, 0.2))
    server = github({RUNS_PATH: runs_body(run_json(200, "success", 2))}, delay_s=2)
    value = gather(["deploy_runs"], github_context(SIMULATED, server.url)).get("deploy_runs")
    assert "no answer within 0.2 s" in value.reason


class socket_closed:
    """A URL on 127.0.0.1 where nothing listens."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{s.getsockname()[1]}"

    def __exit__(self, *args: object) -> None:
        pass


# -- the monitoring sources, against moto ----------------------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AWS_")}
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    os.environ.update(saved)


def moto_context(url: str, dashboard: str, log_group: str) -> Context:
    target = SIMULATED.model_copy(
        update={
            "cloudwatch": SIMULATED.cloudwatch.model_copy(update={"dashboard": dashboard}),
            "ecs": SIMULATED.ecs.model_copy(update={"log_group": log_group}),
        }
    )
    aws = ReadOnlySession("us-east-2", read_actions(), endpoint_url=url, credentials=CREDENTIALS)
    return Context(target=target, aws=aws, http=requests.Session(), now=NOW)


def test_dashboard_and_log_group_are_read(moto_url: str) -> None:
    client = {"region_name": "us-east-2", "endpoint_url": moto_url, **CREDENTIALS}
    boto3.client("cloudwatch", **client).put_dashboard(
        DashboardName="tests-overview", DashboardBody='{"widgets": []}'
    )
    logs = boto3.client("logs", **client)
    logs.create_log_group(logGroupName="/ecs/tests-kept")
    logs.put_retention_policy(logGroupName="/ecs/tests-kept", retentionInDays=30)
    logs.create_log_group(logGroupName="/ecs/tests-forever")
    logs.create_log_group(logGroupName="/ecs/tests-prefix-only-worker")
    read = gather(
        ["cloudwatch_dashboard", "log_group_config"],
        moto_context(moto_url, "tests-overview", "/ecs/tests-kept"),
    )
    assert read.get("cloudwatch_dashboard") == Dashboard(
        name="tests-overview", region="us-east-2", exists=True
    )
    assert read.get("log_group_config").retention_days == 30
    forever = gather(["log_group_config"], moto_context(moto_url, "x", "/ecs/tests-forever"))
    assert forever.get("log_group_config").exists
    assert forever.get("log_group_config").retention_days is None
    missing = gather(
        ["cloudwatch_dashboard", "log_group_config"],
        moto_context(moto_url, "tests-none", "/ecs/tests-prefix-only"),
    )
    assert not missing.get("cloudwatch_dashboard").exists
    assert not missing.get("log_group_config").exists, "a prefix match is not the group"


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


def deployment(**fields: Any) -> Deployment:
    values: dict[str, Any] = {
        "id": "ecs-svc/1",
        "status": "PRIMARY",
        "task_definition": f"{TASK_DEFINITION}:43",
        "desired": 2,
        "running": 2,
        "pending": 0,
        "rollout_state": "COMPLETED",
        "created_at": NOW - timedelta(hours=3),
    }
    return Deployment(**(values | fields))


def service(*deployments: Deployment, **fields: Any) -> EcsService:
    values: dict[str, Any] = {
        "cluster": "saaspe-production-cluster",
        "name": "saaspe-production-service",
        "status": "ACTIVE",
        "desired": 2,
        "running": 2,
        "deployments": deployments or (deployment(),),
    }
    return EcsService(**(values | fields))


EVIDENCE = SimpleNamespace(collected_at=NOW)
THRESHOLDS = SIMULATED.thresholds


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


# -- monitoring checks -----------------------------------------------------------------------

TOPIC = "arn:aws:sns:us-east-2:123456789012:saaspe-production-service-alerts"


def alarm(name: str, **fields: Any) -> Alarm:
    values: dict[str, Any] = {"name": name, "state": "OK", "alarm_actions": (TOPIC,)}
    return Alarm(**(values | fields))


def alarms(*found: Alarm, missing: tuple[str, ...] = ()) -> Alarms:
    return Alarms(region="us-east-2", alarms={a.name: a for a in found}, missing=missing)


ALARM_CHECKS = (
    monitoring.test_alarms_notify_an_sns_topic,
    monitoring.test_alarm_actions_are_enabled,
    monitoring.test_alarms_have_data,
)


@pytest.mark.parametrize("check", (monitoring.test_named_alarms_exist, *ALARM_CHECKS))
def test_sound_alarms_pass(check: Callable[[Alarms], None]) -> None:
    check(alarms(alarm("a"), alarm("b", state="ALARM")))


def test_missing_alarm_fails_only_the_existence_check() -> None:
    evidence = alarms(alarm("a"), missing=("b",))
    with pytest.raises(AssertionError, match="alarm\\(s\\) b named in \\[alarms\\] do not exist"):
        monitoring.test_named_alarms_exist(evidence)
    for check in ALARM_CHECKS:
        check(evidence)


@pytest.mark.parametrize("check", ALARM_CHECKS)
def test_no_alarm_at_all_is_inconclusive(check: Callable[[Alarms], None]) -> None:
    with pytest.raises(Inconclusive, match="none of the named alarms exist"):
        check(alarms(missing=("a", "b")))


@pytest.mark.parametrize(
    ("check", "broken", "expected"),
    [
        (ALARM_CHECKS[0], {"alarm_actions": ()}, "b have no SNS topic"),
        (
            ALARM_CHECKS[0],
            {"alarm_actions": ("arn:aws:autoscaling:us-east-2:1:scalingPolicy:x",)},
            "b have no SNS topic",
        ),
        (ALARM_CHECKS[1], {"actions_enabled": False}, "b have their actions disabled"),
        (
            ALARM_CHECKS[2],
            {"state": "INSUFFICIENT_DATA", "reason": "no datapoints", "updated_at": NOW},
            "b since 2026-11-26 15:00 UTC \\(no datapoints\\)",
        ),
    ],
)
def test_broken_alarm_fails(check, broken: dict[str, Any], expected: str) -> None:
    with pytest.raises(AssertionError, match=expected):
        check(alarms(alarm("a"), alarm("b", **broken)))


def test_deployment_alarms() -> None:
    check = monitoring.test_ecs_deployment_alarms_are_configured
    on = DeploymentSettings(alarms=("x",), alarms_enabled=True)
    check(service(settings=on))
    with pytest.raises(AssertionError, match="no deployment alarms enabled \\(enable=False"):
        check(service(settings=on.model_copy(update={"alarms_enabled": False})))
    with pytest.raises(AssertionError, match="alarms: none"):
        check(service(settings=DeploymentSettings(alarms_enabled=True)))
    with pytest.raises(Inconclusive, match="does not exist"):
        check(service(status="MISSING", missing_reason="MISSING"))


def test_dashboard_and_log_group_checks() -> None:
    monitoring.test_dashboard_exists(Dashboard(name="d", region="us-east-2", exists=True))
    with pytest.raises(AssertionError, match="dashboard d does not exist in us-east-2"):
        monitoring.test_dashboard_exists(Dashboard(name="d", region="us-east-2", exists=False))
    kept = LogGroup(name="/ecs/x", region="us-east-2", exists=True, retention_days=30)
    forever = kept.model_copy(update={"retention_days": None})
    gone = LogGroup(name="/ecs/x", region="us-east-2", exists=False)
    monitoring.test_log_group_exists(kept)
    monitoring.test_log_group_has_retention(kept)
    monitoring.test_log_group_exists(forever)
    with pytest.raises(AssertionError, match="/ecs/x has no retention policy"):
        monitoring.test_log_group_has_retention(forever)
    with pytest.raises(AssertionError, match="/ecs/x does not exist"):
        monitoring.test_log_group_exists(gone)
    with pytest.raises(Inconclusive, match="no retention to read"):
        monitoring.test_log_group_has_retention(gone)


# -- runbook upkeep --------------------------------------------------------------------------


def book(next_review: date, slugs: tuple[str, ...] = ("a", "b")) -> Any:
    maintenance = Maintenance(
        "Monthly", "DevOps Team", next_review - timedelta(days=30), next_review
    )
    scenarios = tuple(
        SimpleNamespace(number=i, title=s.upper(), slug=s) for i, s in enumerate(slugs, 1)
    )
    return SimpleNamespace(path="runbook.md", maintenance=maintenance, scenarios=scenarios)


def test_review_due_today_or_later_passes() -> None:
    today = datetime.now(UTC).date()
    upkeep.test_runbook_review_is_not_overdue(book(today))
    upkeep.test_runbook_review_is_not_overdue(book(today + timedelta(days=20)))


def test_overdue_review_fails_with_the_days_overdue() -> None:
    due = datetime.now(UTC).date() - timedelta(days=3)
    with pytest.raises(AssertionError, match=f"review due {due} is 3 days overdue"):
        upkeep.test_runbook_review_is_not_overdue(book(due))


def test_shipped_runbook_is_overdue() -> None:
    """The shipped runbook's next review, 2025-12-01, has passed: a real finding."""
    from opscheck.runbook import load as load_runbook

    shipped = load_runbook(ROOT / "runbook/incident-response.md")
    assert shipped.maintenance.next_review == date(2025, 12, 1)
    if datetime.now(UTC).date() > date(2025, 12, 1):
        with pytest.raises(AssertionError, match="review due 2025-12-01 is"):
            upkeep.test_runbook_review_is_not_overdue(shipped)


def test_every_scenario_needs_a_check() -> None:
    check = upkeep.test_every_scenario_has_a_check
    check(book(NOW.date()), {"a": ("test_x",), "b": ("test_y",), "rollback-procedures": ()})
    with pytest.raises(AssertionError, match=r"no check maps to scenario\(s\) 2\. B \(b\)"):
        check(book(NOW.date()), {"a": ("test_x",), "rollback-procedures": ("test_z",)})
