"""The ECS sources and models: stopped tasks as ECS pages them, the service read from moto,
and what the models derive (a task's cause, a revision's name).

moto answers ListTasks in one page whatever its size; the local server here pages as AWS does.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import boto3
import pytest

from opscheck.evidence import gather
from opscheck.evidence.base import Unavailable
from opscheck.evidence.ecs import (
    MAX_STOPPED_TASKS,
    Deployment,
    EcsService,
    StoppedTask,
    StoppedTasks,
)
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.outcomes import Inconclusive
from tests.evidence.helpers import moto_context, moto_target
from tests.helpers import (
    APP_CRASHED,
    CREDENTIALS,
    EXIT_137,
    IMAGE_PULL_FAILED,
    NOW,
    OUT_OF_MEMORY,
    REPLACED_BY_DEPLOYMENT,
    SECRETS_MISSING,
    SERVICE,
    Reply,
    Request,
    StartServer,
    context,
    load_checks,
)
from tests.helpers import SIMULATED as TARGET

# -- what a stopped task is classified as ----------------------------------------------------


@pytest.mark.parametrize(
    ("stopped_task", "image", "memory", "configuration"),
    [
        (IMAGE_PULL_FAILED, True, False, False),
        (OUT_OF_MEMORY, False, True, False),
        (EXIT_137, False, True, False),
        (SECRETS_MISSING, False, False, True),
        (REPLACED_BY_DEPLOYMENT, False, False, False),
        (APP_CRASHED, False, False, False),
    ],
    ids=["image-pull", "oom-reason", "exit-137", "secrets", "deployment-replaced", "exit-1"],
)
def test_stopped_task_classifiers(
    stopped_task: StoppedTask, image: bool, memory: bool, configuration: bool
) -> None:
    assert stopped_task.failed_to_pull_image is image
    assert stopped_task.killed_out_of_memory is memory
    assert stopped_task.failed_on_configuration is configuration


# -- against moto ----------------------------------------------------------------------------


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


# -- stopped tasks, in pages as ECS answers them ----------------------------------------------

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
    found = gather(["stopped_tasks"], context(TARGET, server_url, max_attempts=1)).get(
        "stopped_tasks"
    )
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
    assert sorted(asked) == ["DescribeTasks", "DescribeTasks", "ListTasks", "ListTasks"]
    assert len(found.tasks) == 150 and found.cut_at is None
    assert sum(t.failed_to_pull_image for t in found.tasks) == 50
    checks = load_checks("test_all_ecs_tasks_down")
    with pytest.raises(AssertionError, match=r"50 tasks of .* could not pull their image"):
        checks.test_no_tasks_failed_to_pull_their_image(found, _NoRevisions(), lambda *a: None)


def test_each_page_is_described_while_the_next_is_listed(local_server: StartServer) -> None:
    """Pages + 1 round trips, not twice as many: the second ListTasks is answered only once
    the first page's DescribeTasks has arrived (a reader that lists every page first would
    wait here until the server gives up, and be seen to)."""
    tasks = [task(n, "Scaling activity initiated by (deployment ecs-svc/1)") for n in range(150)]
    _, answer = ecs(tasks)
    described = threading.Event()
    overlapped: list[bool] = []

    def pipelined(request: Request) -> Reply:
        operation = request.headers["X-Amz-Target"].rpartition(".")[2]
        if operation == "DescribeTasks":
            described.set()
        elif request.json().get("nextToken"):
            overlapped.append(described.wait(timeout=5))
        return answer(request)

    found = read(local_server(pipelined).url)
    assert overlapped == [True] and len(found.tasks) == 150


def test_a_denied_describe_names_its_own_permission(local_server: StartServer) -> None:
    """DescribeTasks runs beside the listing; its denial still names ecs:DescribeTasks."""
    _, answer = ecs([task(n, "Scaling activity") for n in range(3)])

    def deny_describe(request: Request) -> Reply:
        if request.headers["X-Amz-Target"].endswith("DescribeTasks"):
            denied = {"__type": "AccessDeniedException", "message": "not authorized"}
            return Reply(status=400, body=denied, content_type=JSON, headers=REQUEST_ID)
        return answer(request)

    ctx = context(TARGET, local_server(deny_describe).url, max_attempts=1)
    found = gather(["stopped_tasks"], ctx).get("stopped_tasks")
    assert isinstance(found, Unavailable)
    assert found.permission == "ecs:DescribeTasks", found.reason


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
