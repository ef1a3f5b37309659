"""The dashboard and log group sources, against moto."""

from __future__ import annotations

import boto3
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, gather, read_actions
from opscheck.evidence.monitoring import Dashboard
from tests.helpers import CREDENTIALS, NOW, SIMULATED


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
