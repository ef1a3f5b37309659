"""Stopped tasks as ECS really answers: ListTasks in pages of 100, DescribeTasks 100 at a time.

moto answers ListTasks in one page whatever its size; this server pages as AWS does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, gather, read_actions
from opscheck.evidence.ecs import MAX_STOPPED_TASKS, StoppedTasks
from opscheck.outcomes import Inconclusive
from opscheck.target import load
from tests.conftest import ROOT, Reply, Request, StartServer, load_checks

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
TARGET = load("simulated", ROOT)
SERVICE = TARGET.ecs.service
PAGE = 100  # what ListTasks answers at most
JSON = "application/x-amz-json-1.1"
REQUEST_ID = {"x-amzn-RequestId": "5b7c7a3e-5c1e-4c57-9f0a-1d2e3f405162"}


def task(n: int, reason: str) -> dict:
    stopped = (NOW - timedelta(minutes=50) + timedelta(seconds=n)).timestamp()
    return {
        "taskArn": f"arn:aws:ecs:us-east-2:123456789012:task/c/{n:032x}",
        "taskDefinitionArn": "arn:aws:ecs:us-east-2:123456789012:task-definition/saaspe:4",
        "group": f"service:{SERVICE}",
        "stopCode": "TaskFailedToStart" if "Pull" in reason else "ServiceSchedulerInitiated",
        "stoppedReason": reason,
        "stoppedAt": stopped,
        "containers": [{"name": "backend"}],
    }


def ecs(tasks: list[dict]) -> tuple[list[str], object]:
    """An ECS endpoint over `tasks`; it records the operations it was asked, in order."""
    by_arn = {t["taskArn"]: t for t in tasks}
    asked: list[str] = []

    def answer(request: Request) -> Reply:
        operation = request.headers["X-Amz-Target"].rpartition(".")[2]
        asked.append(operation)
        body = request.json()
        if operation == "ListTasks":
            start = int(body.get("nextToken") or 0)
            page = {"taskArns": list(by_arn)[start : start + PAGE]}
            if start + PAGE < len(by_arn):
                page["nextToken"] = str(start + PAGE)
            return Reply(body=page, content_type=JSON, headers=REQUEST_ID)
        assert len(body["tasks"]) <= 100, "DescribeTasks takes at most 100 ARNs"
        found = [by_arn[arn] for arn in body["tasks"]]
        return Reply(body={"tasks": found, "failures": []}, content_type=JSON, headers=REQUEST_ID)

    return asked, answer


def read(server_url: str) -> StoppedTasks:
    aws = ReadOnlySession(
        "us-east-2",
        read_actions(),
        endpoint_url=server_url,
        credentials={"aws_access_key_id": "x", "aws_secret_access_key": "x"},
        max_attempts=1,
    )
    ctx = Context(target=TARGET, aws=aws, http=requests.Session(), now=NOW)
    found = gather(["stopped_tasks"], ctx).get("stopped_tasks")
    assert isinstance(found, StoppedTasks), found
    return found


def test_every_page_of_stopped_tasks_is_read(local_server: StartServer) -> None:
    """100 routine stops, then 50 image-pull failures: the failures are on the second page."""
    routine = [task(n, "Scaling activity initiated by (deployment ecs-svc/1)") for n in range(100)]
    pulls = [
        task(n, "CannotPullContainerError: pull image manifest has been retried")
        for n in range(100, 150)
    ]
    asked, answer = ecs(routine + pulls)
    found = read(local_server(answer).url)
    assert asked == ["ListTasks", "ListTasks", "DescribeTasks", "DescribeTasks"]
    assert len(found.tasks) == 150 and found.cut_at is None
    assert sum(t.failed_to_pull_image for t in found.tasks) == 50
    checks = load_checks("test_all_ecs_tasks_down")
    with pytest.raises(AssertionError, match=r"50 tasks of .* could not pull their image"):
        checks.test_no_tasks_failed_to_pull_their_image(found, _NoRevisions(), lambda *a: None)


def test_a_read_cut_at_its_bound_cannot_pass(local_server: StartServer) -> None:
    routine = [
        task(n, "Scaling activity initiated by (deployment ecs-svc/1)")
        for n in range(MAX_STOPPED_TASKS + PAGE)
    ]
    asked, answer = ecs(routine)
    found = read(local_server(answer).url)
    assert found.cut_at == MAX_STOPPED_TASKS
    assert asked.count("ListTasks") == MAX_STOPPED_TASKS // PAGE
    checks = load_checks("test_all_ecs_tasks_down")
    with pytest.raises(Inconclusive, match="more were left unread"):
        checks.test_no_tasks_killed_out_of_memory(found)
    assert json.loads(found.model_dump_json())["cut_at"] == MAX_STOPPED_TASKS


class _NoRevisions:
    family = "saaspe"
    previous_revision = None
