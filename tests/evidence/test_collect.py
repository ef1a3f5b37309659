"""How evidence reads fail, against real servers on 127.0.0.1 (denied, throttled, down, slow),
and evidence saved to a file and loaded back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from opscheck.evidence import Evidence, EvidenceFileError, Unavailable, gather
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
from opscheck.evidence.http import HealthResponse
from opscheck.target import Target
from tests.evidence.helpers import called, unavailable, with_health
from tests.helpers import NOW, Serve, context, unused_port

DENIED = {
    "__type": "AccessDeniedException",
    "message": "User: arn:aws:sts::123456789012:assumed-role/opscheck/ci is not authorized "
    "to perform: ecs:DescribeServices on resource: arn:aws:ecs:us-east-2:123456789012:"
    "service/saaspe-production-cluster/saaspe-production-service",
}
THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}


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
