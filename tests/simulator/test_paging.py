"""The simulator pages as AWS does where moto answers at once: ListTasks, ListTaskDefinitions
and DescribeAlarms at 100, FilterLogEvents a slice of the time range a call, empty pages
included (botocore's models and the services' API references)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from opscheck.simulator import Simulator
from opscheck.simulator.paging import SEARCH_EVENTS
from tests.helpers import SIMULATED, simulator


@pytest.fixture(scope="module")
def at_scale() -> Iterator[Simulator]:
    sim = simulator(["production-at-scale"])
    yield sim
    sim.stop()


def client(sim: Simulator, service: str) -> Any:
    return boto3.client(
        service, region_name=SIMULATED.aws.region, endpoint_url=sim.aws_url, **sim.credentials
    )


def pages(call: Any, token_key: str, items_key: str, **request: Any) -> list[int]:
    """Follow the tokens by hand; return how many items each page held."""
    sizes, token = [], None
    while True:
        answer = call(**request, **({token_key: token} if token else {}))
        sizes.append(len(answer[items_key]))
        token = answer.get(token_key)
        if not token:
            return sizes


def test_list_tasks_pages_at_100(at_scale):
    ecs = client(at_scale, "ecs")
    listed = pages(
        ecs.list_tasks,
        "nextToken",
        "taskArns",
        cluster=SIMULATED.ecs.cluster,
        desiredStatus="STOPPED",
    )
    assert listed == [100, 52]  # 150 stopped at scale, 2 by the last deployment


def test_list_task_definitions_pages_at_max_results(at_scale):
    ecs = client(at_scale, "ecs")
    family = SIMULATED.ecs.task_family
    listed = pages(
        ecs.list_task_definitions, "nextToken", "taskDefinitionArns", familyPrefix=family
    )
    assert listed == [40]
    asked = pages(
        ecs.list_task_definitions,
        "nextToken",
        "taskDefinitionArns",
        familyPrefix=family,
        maxResults=15,
    )
    assert asked == [15, 15, 10]


def test_describe_alarms_pages_at_100(at_scale):
    cloudwatch = client(at_scale, "cloudwatch")
    assert pages(cloudwatch.describe_alarms, "NextToken", "MetricAlarms") == [100, 100, 50]
    named = list(SIMULATED.alarms.model_dump().values())
    assert pages(cloudwatch.describe_alarms, "NextToken", "MetricAlarms", AlarmNames=named) == [4]


def test_filter_log_events_searches_a_slice_a_call_and_answers_empty_pages(at_scale):
    """20,006 lines in the window, two of them ERROR: three slices of 10,000 searched a call;
    a pattern matching nothing answers empty pages, each but the last with a token."""
    logs = client(at_scale, "logs")
    now = datetime.now(UTC)
    window = {
        "logGroupName": SIMULATED.ecs.log_group,
        "startTime": int((now - timedelta(minutes=5)).timestamp() * 1000),
        "endTime": int(now.timestamp() * 1000),
    }
    assert SEARCH_EVENTS == 10_000
    errors = pages(logs.filter_log_events, "nextToken", "events", filterPattern="ERROR", **window)
    assert len(errors) == 3 and sum(errors) == 2
    nothing = pages(logs.filter_log_events, "nextToken", "events", filterPattern="FATAL", **window)
    assert nothing == [0, 0, 0]
    every = pages(logs.filter_log_events, "nextToken", "events", limit=8000, **window)
    assert every == [8000, 8000, 4006]  # a full page ends where its last event is
