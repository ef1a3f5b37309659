"""How evidence reads fail, against real servers on 127.0.0.1: denied, throttled, down, slow."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import requests
from botocore.retries.standard import ExponentialBackoff

from opscheck.aws import ReadOnlySession, ReadOnlyViolation, check_read_only
from opscheck.evidence import (
    Context,
    Evidence,
    EvidenceFileError,
    Unavailable,
    gather,
    read_actions,
)
from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.ecs import (
    ContainerExit,
    Deployment,
    EcsService,
    ServiceEvent,
    StoppedTask,
    StoppedTasks,
)
from opscheck.evidence.elb import TargetHealth, TargetState
from opscheck.evidence.github import DeployRuns, FailedStep, Job, Step
from opscheck.evidence.http import HealthResponse
from opscheck.evidence.metrics import ErrorRate, Metrics, Series
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.target import Target, load
from tests.conftest import LocalServer, Reply, StartServer

ROOT = Path(__file__).resolve().parents[1]
CREDENTIALS = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
ECS_JSON = "application/x-amz-json-1.1"
DENIED = {
    "__type": "AccessDeniedException",
    "message": "User: arn:aws:sts::123456789012:assumed-role/opscheck/ci is not authorized "
    "to perform: ecs:DescribeServices on resource: arn:aws:ecs:us-east-2:123456789012:"
    "service/saaspe-production-cluster/saaspe-production-service",
}
THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_* and proxy variables of the machine running the tests must not reach the sessions."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's jittered backoff adds up to seconds per retry; what matters is the count."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


Serve = Callable[..., LocalServer]


@pytest.fixture
def serve(local_server: StartServer) -> Serve:
    """A local server that answers every request the same way."""

    def start(
        status: int = 200,
        body: bytes | dict[str, object] = b"{}",
        content_type: str = ECS_JSON,
        delay_s: float = 0.0,
    ) -> LocalServer:
        reply = Reply(status, body, content_type, delay_s=delay_s)
        return local_server(lambda request: reply)

    return start


def called(server: LocalServer) -> list[str]:
    """The AWS operation (X-Amz-Target) or else the path of each request the server received."""
    return [r.headers.get("X-Amz-Target") or r.path for r in server.requests]


@pytest.fixture(scope="module")
def target() -> Target:
    return load("simulated", ROOT)


def session(url: str, **options: float) -> ReadOnlySession:
    settings = {"max_attempts": 2, "connect_timeout": 1, "read_timeout": 1} | options
    return ReadOnlySession(
        "us-east-2", read_actions(), endpoint_url=url, credentials=CREDENTIALS, **settings
    )


def context(target: Target, url: str, **options: float) -> Context:
    return Context(target=target, aws=session(url, **options), http=requests.Session(), now=NOW)


def with_health(target: Target, url: str | None, timeout_s: float = 5.0) -> Target:
    app = target.app.model_copy(update={"health_url": url, "health_timeout_s": timeout_s})
    return target.model_copy(update={"app": app})


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(evidence: Evidence, name: str) -> Unavailable:
    value = evidence.get(name)
    assert isinstance(value, Unavailable), f"{name} was read: {value!r}"
    return value


# -- AWS reads that fail ---------------------------------------------------------------------


def test_denied_read_names_the_permission(target: Target, serve: Serve) -> None:
    server = serve(400, DENIED)
    evidence = gather(["ecs_service"], context(target, server.url), deadline_s=10)
    result = unavailable(evidence, "ecs_service")
    assert result.permission == "ecs:DescribeServices"
    assert "ecs:DescribeServices was denied (AccessDeniedException)" in result.reason
    assert "grant ecs:DescribeServices" in result.reason
    assert called(server) == ["AmazonEC2ContainerServiceV20141113.DescribeServices"]


def test_throttled_read_is_unavailable_after_retrying(
    target: Target, serve: Serve, no_backoff: None
) -> None:
    server = serve(400, THROTTLED)
    evidence = gather(["ecs_service"], context(target, server.url, max_attempts=2), deadline_s=10)
    result = unavailable(evidence, "ecs_service")
    assert "ecs:DescribeServices was throttled past the retry limit (ThrottlingException)" in (
        result.reason
    )
    assert result.permission is None
    assert len(server.requests) == 2


@pytest.mark.parametrize("max_attempts", [1, 2, 3])
def test_retries_stop_at_max_attempts(
    target: Target, serve: Serve, no_backoff: None, max_attempts: int
) -> None:
    server = serve(400, THROTTLED)
    ctx = context(target, server.url, max_attempts=max_attempts)
    gather(["ecs_service"], ctx, deadline_s=10)
    assert len(server.requests) == max_attempts


def test_endpoint_down_could_not_connect(target: Target) -> None:
    ctx = context(target, f"http://127.0.0.1:{unused_port()}", max_attempts=1)
    result = unavailable(gather(["ecs_service"], ctx, deadline_s=10), "ecs_service")
    assert result.reason.startswith("ecs:DescribeServices: could not connect to the AWS endpoint")
    assert result.permission is None


def test_slow_endpoint_did_not_answer_in_time(target: Target, serve: Serve) -> None:
    server = serve(200, b"{}", delay_s=3)
    ctx = context(target, server.url, max_attempts=1, read_timeout=0.5)
    result = unavailable(gather(["ecs_service"], ctx, deadline_s=10), "ecs_service")
    assert "ecs:DescribeServices: the AWS endpoint did not answer in time" in result.reason


def test_source_past_the_deadline_is_unavailable(target: Target, serve: Serve) -> None:
    server = serve(200, b"ok", content_type="text/plain", delay_s=3)
    ctx = context(target, server.url)
    ctx.target = with_health(target, f"{server.url}/health", timeout_s=5)
    evidence = gather(["health_endpoint"], ctx, deadline_s=0.3)
    result = unavailable(evidence, "health_endpoint")
    assert result.reason == "health_endpoint did not answer within the 0.3 s deadline"
    assert evidence.duration_s < 2


def test_one_failing_source_leaves_the_others_their_answer(target: Target, serve: Serve) -> None:
    aws = serve(400, DENIED)
    app = serve(200, b'{"status":"ok"}', content_type="application/json")
    ctx = context(target, aws.url)
    ctx.target = with_health(target, f"{app.url}/health")
    evidence = gather(["ecs_service", "health_endpoint"], ctx, deadline_s=10)
    assert unavailable(evidence, "ecs_service").permission == "ecs:DescribeServices"
    health = evidence.get("health_endpoint")
    assert isinstance(health, HealthResponse) and health.status == 200


# -- the health endpoint ---------------------------------------------------------------------


def test_no_health_url_says_where_to_set_it(target: Target) -> None:
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, None)
    result = unavailable(gather(["health_endpoint"], ctx, deadline_s=5), "health_endpoint")
    assert "add [app] health_url to simulated.toml" in result.reason


def test_health_endpoint_503_is_read_as_evidence(target: Target, serve: Serve) -> None:
    server = serve(503, b"Service Unavailable", content_type="text/plain")
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, f"{server.url}/health")
    health = gather(["health_endpoint"], ctx, deadline_s=5).get("health_endpoint")
    assert isinstance(health, HealthResponse)
    assert (health.status, health.error, health.body) == (503, None, "Service Unavailable")
    assert health.elapsed_ms is not None
    assert called(server) == ["/health"]


def test_slow_health_endpoint_has_no_answer(target: Target, serve: Serve) -> None:
    server = serve(200, b"ok", content_type="text/plain", delay_s=3)
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, f"{server.url}/health", timeout_s=0.3)
    health = gather(["health_endpoint"], ctx, deadline_s=5).get("health_endpoint")
    assert isinstance(health, HealthResponse)
    assert health.status is None
    assert health.error is not None and health.error.startswith("no answer within 0.3 s")


# -- the read-only guard ---------------------------------------------------------------------


def test_guard_refuses_a_mutating_call_before_sending_it(serve: Serve) -> None:
    server = serve(200, b"{}")
    aws = session(server.url)
    with pytest.raises(ReadOnlyViolation, match="refused ecs:UpdateService") as refused:
        aws.client("ecs").update_service(cluster="c", service="s", desiredCount=0)
    assert "nothing was sent" in str(refused.value)
    assert server.requests == []
    assert aws.calls == {}


@pytest.mark.parametrize(
    "action", ["ecs:UpdateService", "ecs:StopTask", "elasticloadbalancing:DeregisterTargets"]
)
def test_check_read_only_refuses_write_actions(action: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=f"{action} is not a read operation"):
        check_read_only(["ecs:DescribeServices", action])


def test_every_declared_source_action_is_a_read() -> None:
    actions = read_actions()
    assert check_read_only(actions) == actions
    assert {"ecs:DescribeServices", "cloudwatch:DescribeAlarms"} <= actions


def test_calls_count_api_calls_not_retries(target: Target, serve: Serve, no_backoff: None) -> None:
    server = serve(400, THROTTLED)
    ctx = context(target, server.url, max_attempts=3)
    evidence = gather(["ecs_service"], ctx, deadline_s=10)
    assert ctx.aws.calls == {"ecs:DescribeServices": 1}
    assert evidence.api_calls == {"ecs:DescribeServices": 1}
    assert len(server.requests) == 3


# -- saved evidence --------------------------------------------------------------------------


def sample_evidence() -> Evidence:
    ecs = EcsService(
        cluster="saaspe-production-cluster",
        name="saaspe-production-service",
        status="ACTIVE",
        desired=2,
        running=1,
        pending=1,
        task_definition="arn:aws:ecs:us-east-2:123456789012:task-definition/backend:42",
        deployments=(
            Deployment(
                id="ecs-svc/4382930293827746152",
                status="PRIMARY",
                task_definition="arn:aws:ecs:us-east-2:123456789012:task-definition/backend:42",
                desired=2,
                running=1,
                pending=1,
                rollout_state="IN_PROGRESS",
                created_at=NOW - timedelta(minutes=12),
            ),
        ),
        events=(ServiceEvent(created_at=NOW, message="(service x) has reached a steady state."),),
    )
    stopped = StoppedTasks(
        service="saaspe-production-service",
        window_minutes=60,
        tasks=(
            StoppedTask(
                arn="arn:aws:ecs:us-east-2:123456789012:task/c/0a1b",
                task_definition="arn:aws:ecs:us-east-2:123456789012:task-definition/backend:42",
                stop_code="EssentialContainerExited",
                stopped_reason="Essential container in task exited",
                stopped_at=NOW - timedelta(minutes=3),
                containers=(
                    ContainerExit(name="backend", exit_code=137, reason="OutOfMemoryError"),
                ),
            ),
        ),
    )
    return Evidence(
        target="simulated",
        collected_at=NOW,
        values={
            "ecs_service": ecs,
            "stopped_tasks": stopped,
            "target_health": TargetHealth(
                target_group="tg",
                targets=(TargetState(id="10.0.1.11", port=3000, state="healthy"),),
            ),
            "alarms": Alarms(
                region="us-east-2",
                alarms={"a1": Alarm(name="a1", state="ALARM", reason="Threshold Crossed")},
                missing=("a2",),
            ),
            "health_endpoint": HealthResponse(
                url="http://x/health", timeout_s=5, error="no answer"
            ),
            "identity": Unavailable(
                "sts:GetCallerIdentity was denied (AccessDenied)", "sts:GetCallerIdentity"
            ),
        },
        duration_s=0.4321,
        api_calls={"ecs:DescribeServices": 1},
    )


def test_saved_evidence_loads_back_equal(tmp_path: Path) -> None:
    original = sample_evidence()
    path = tmp_path / "reports" / "evidence.json"
    original.save(path)
    loaded = Evidence.load(path)
    assert loaded.values == original.values
    assert (loaded.target, loaded.collected_at) == ("simulated", NOW)
    assert loaded.api_calls == {"ecs:DescribeServices": 1}
    assert loaded.replayed_from == str(path)
    assert loaded.get("ecs_service") == original.values["ecs_service"]


def test_evidence_not_gathered_is_unavailable_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    Evidence(target="simulated", collected_at=NOW, values={}).save(path)
    missing = Evidence.load(path).get("alarms")
    assert isinstance(missing, Unavailable)
    assert missing.reason == f"alarms was not gathered in the saved evidence {path}"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json {", "not readable as JSON evidence"),
        ('{"schema": 2, "sources": {}}', "expected opscheck evidence with schema 1"),
        ('{"target": "simulated", "sources": {}}', "expected opscheck evidence with schema 1"),
        ("[1, 2]", "expected opscheck evidence with schema 1"),
        (
            '{"schema": 1, "collected_at": "2026-11-26T15:00:00+00:00",'
            ' "sources": {"no_such_source": {"value": {}}}}',
            "unknown source 'no_such_source'",
        ),
        (
            '{"schema": 1, "collected_at": "2026-11-26T15:00:00+00:00",'
            ' "sources": {"alarms": {"value": {"region": 1}}}}',
            "source 'alarms' is malformed",
        ),
    ],
    ids=["not-json", "schema-2", "no-schema", "not-an-object", "unknown-source", "malformed"],
)
def test_unreadable_evidence_file_names_it(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "evidence.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvidenceFileError, match=problem) as error:
        Evidence.load(path)
    assert str(error.value).startswith(f"{path}: ")


def test_missing_evidence_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(EvidenceFileError, match="no such evidence file") as error:
        Evidence.load(path)
    assert str(path) in str(error.value)


# -- against moto ----------------------------------------------------------------------------


def moto_target(cluster: str) -> Target:
    """Each test names resources of its own: moto's backend is shared by the whole process."""
    base = load("simulated", ROOT)
    return base.model_copy(
        update={
            "ecs": base.ecs.model_copy(update={"cluster": cluster}),
            "alb": base.alb.model_copy(update={"target_group": f"{cluster}-tg"}),
        }
    )


def moto_context(target: Target, url: str) -> Context:
    return Context(target=target, aws=session(url), http=requests.Session(), now=NOW)


def test_moto_cluster_without_the_service(moto_url: str) -> None:
    target = moto_target("opscheck-tests-empty-cluster")
    ecs = boto3.client("ecs", region_name="us-east-2", endpoint_url=moto_url, **CREDENTIALS)
    ecs.create_cluster(clusterName=target.ecs.cluster)
    value = gather(["ecs_service"], moto_context(target, moto_url), deadline_s=20).get(
        "ecs_service"
    )
    assert isinstance(value, EcsService)
    assert (value.status, value.cluster, value.name) == (
        "MISSING",
        "opscheck-tests-empty-cluster",
        target.ecs.service,
    )
    assert value.missing_reason == "MISSING"


def test_moto_no_cluster(moto_url: str) -> None:
    target = moto_target("opscheck-tests-no-cluster")
    value = gather(["ecs_service"], moto_context(target, moto_url), deadline_s=20).get(
        "ecs_service"
    )
    assert isinstance(value, EcsService)
    assert value.status == "MISSING"
    assert value.missing_reason == "cluster opscheck-tests-no-cluster not found"


def test_moto_missing_target_group(moto_url: str) -> None:
    target = moto_target("opscheck-tests-no-cluster")
    value = gather(["target_health"], moto_context(target, moto_url), deadline_s=20).get(
        "target_health"
    )
    assert isinstance(value, TargetHealth)
    assert (value.target_group, value.exists, value.targets) == (
        target.alb.target_group,
        False,
        (),
    )


def test_moto_no_alarms_are_all_missing(moto_url: str) -> None:
    target = moto_target("opscheck-tests-no-cluster")
    value = gather(["alarms"], moto_context(target, moto_url), deadline_s=20).get("alarms")
    assert isinstance(value, Alarms)
    assert value.alarms == {}
    assert set(value.missing) == set(target.alarms.model_dump().values())
    assert value.region == "us-east-2"


# -- facts the models derive from their own data -------------------------------------------

TASK_DEFINITION = "arn:aws:ecs:us-east-2:123456789012:task-definition/saaspe-production-backend:4"


def test_a_revision_is_named_family_colon_number() -> None:
    deployment = Deployment(
        id="ecs-svc/1",
        status="PRIMARY",
        task_definition=TASK_DEFINITION,
        desired=2,
        running=2,
        pending=0,
    )
    stopped = StoppedTask(arn="arn:task/1", task_definition=TASK_DEFINITION)
    running = TaskDefinitions(
        family="saaspe-production-backend", active_revisions=(3, 4), current_arn=TASK_DEFINITION
    )
    assert deployment.revision == stopped.revision == running.current_name
    assert running.current_name == "saaspe-production-backend:4"
    assert stopped.summary().startswith("saaspe-production-backend:4 ")
    none = TaskDefinitions(family="saaspe-production-backend", active_revisions=(3, 4))
    assert none.current_name is None


def _counts(key: str, values: list[float], zero_when_absent: bool = False) -> Series:
    minutes = range(len(values))
    return Series(
        key=key,
        namespace="AWS/ApplicationELB",
        metric=key,
        stat="Sum",
        period_s=60,
        dimensions={"LoadBalancer": "app/lb/1"},
        zero_when_absent=zero_when_absent,
        timestamps=tuple(NOW - timedelta(minutes=len(values) - m) for m in minutes),
        values=tuple(values),
    )


def _alb(requests: list[float], target_5xx: list[float], elb_5xx: list[float]) -> Metrics:
    found = {
        "alb_requests": _counts("alb_requests", requests),
        "alb_target_5xx": _counts("alb_target_5xx", target_5xx, zero_when_absent=True),
        "alb_elb_5xx": _counts("alb_elb_5xx", elb_5xx, zero_when_absent=True),
    }
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=found)


def test_error_rate_counts_target_and_load_balancer_5xx() -> None:
    metrics = _alb([100, 100, 100, 100], [0, 0, 6, 4], [0, 0, 0, 10])
    last_two = metrics.error_rate(NOW - timedelta(minutes=2))
    assert last_two == ErrorRate(requests=200, target_5xx=10, elb_5xx=10)
    assert last_two.share == 0.1
    # `until` leaves out the periods that start at or after it.
    assert metrics.error_rate(metrics.start, NOW - timedelta(minutes=2)).share == 0.0


def test_error_rate_without_requests_has_no_share() -> None:
    assert _alb([0, 0], [0, 0], [0, 0]).error_rate(NOW - timedelta(minutes=5)).share is None
    assert ErrorRate(requests=0, target_5xx=3, elb_5xx=0).share is None


def test_counts_published_only_when_not_zero_read_as_zero_when_absent() -> None:
    metrics = _alb([100], [], [])
    assert metrics.last("alb_target_5xx", 5) == (0.0,)
    assert metrics.last("alb_requests", 5) == (100.0,)
    quiet = _alb([], [], [])
    assert quiet.last("alb_requests", 5) == ()


def test_failed_steps_name_their_job_and_step() -> None:
    failed = Job(
        id=1,
        name="deploy",
        status="completed",
        conclusion="failure",
        steps=(
            Step(number=1, name="Checkout", status="completed", conclusion="success"),
            Step(
                number=4,
                name="Build and push Docker image",
                status="completed",
                conclusion="failure",
            ),
            Step(number=5, name="Deploy", status="completed", conclusion="timed_out"),
        ),
    )
    runs = DeployRuns(repo="o/r", workflow="deploy.yml", checked_at=NOW, failed_jobs=(failed,))
    assert [step.describe() for step in runs.failed_steps] == [
        "job 'deploy' step 4 'Build and push Docker image' failure",
        "job 'deploy' step 5 'Deploy' timed_out",
    ]
    assert runs.failed_steps[0] == FailedStep(
        job="deploy", number=4, name="Build and push Docker image", conclusion="failure"
    )
