"""The log_errors source: ERROR lines counted in moto's CloudWatch Logs and a paging server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3

from opscheck.evidence import gather
from opscheck.evidence import logs as logs_source
from opscheck.evidence.logs import LogErrors, sample
from opscheck.target import Target
from tests.helpers import CREDENTIALS, NOW, SIMULATED, Reply, StartServer, context


def test_sample_keeps_the_first_line_truncated() -> None:
    line = sample("ERROR " + "x" * 500 + "\n    at stack frame")
    assert len(line) == 200 and line.endswith("…") and "stack" not in line


def with_log_group(group: str) -> Target:
    return SIMULATED.model_copy(
        update={"ecs": SIMULATED.ecs.model_copy(update={"log_group": group})}
    )


def write_lines(url: str, group: str, lines: list[str]) -> None:
    logs = boto3.client("logs", region_name="us-east-2", endpoint_url=url, **CREDENTIALS)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="ecs/backend/1")
    start = int(time.time() * 1000) - 120_000
    logs.put_log_events(
        logGroupName=group,
        logStreamName="ecs/backend/1",
        logEvents=[{"timestamp": start + i * 10, "message": m} for i, m in enumerate(lines)],
    )


def test_log_errors_counts_error_lines_and_redacts_samples(moto_url: str) -> None:
    group = "/ecs/opscheck-tests-few"
    lines = ["INFO ok", "ERROR db password=hunter2 refused", "INFO ok", "ERROR timeout"]
    write_lines(moto_url, group, lines)
    ctx = context(with_log_group(group), moto_url, datetime.now(UTC))
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.exists, found.count, found.capped, found.incomplete) == (True, 2, False, False)
    assert found.samples == ("ERROR db password=[REDACTED] refused", "ERROR timeout")
    assert "hunter2" not in found.model_dump_json()


def test_log_errors_stops_counting_at_the_cap(moto_url: str) -> None:
    group = "/ecs/opscheck-tests-flood"
    write_lines(moto_url, group, [f"ERROR boom {n}" for n in range(1200)])
    ctx = context(with_log_group(group), moto_url, datetime.now(UTC))
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.count, found.capped, found.incomplete, found.pages) == (1000, True, False, 1)
    assert len(found.samples) == logs_source.SAMPLES


def test_log_errors_count_past_a_threshold_above_the_cap(moto_url: str) -> None:
    """A team that allows 1500 ERROR lines gets a count that can exceed 1500, not one that
    stops at 1000 and reads as under its limit."""
    group = "/ecs/opscheck-tests-allowing"
    write_lines(moto_url, group, [f"ERROR boom {n}" for n in range(2000)])
    allowing = with_log_group(group).model_copy(
        update={"thresholds": SIMULATED.thresholds.model_copy(update={"error_lines_5m": 1500})}
    )
    found = gather(["log_errors"], context(allowing, moto_url, datetime.now(UTC))).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.count, found.capped, found.incomplete) == (1501, True, False)


def test_log_errors_of_a_missing_group(moto_url: str) -> None:
    ctx = context(with_log_group("/ecs/opscheck-tests-none"), moto_url)
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.exists, found.count) == (False, 0)


def test_log_search_cut_short_is_incomplete(local_server: StartServer) -> None:
    """FilterLogEvents may answer pages of few events, each with a nextToken: counting stops."""
    page = {
        "events": [{"message": "ERROR one", "timestamp": int(NOW.timestamp() * 1000)}],
        "nextToken": "more",
    }
    reply = Reply(
        body=page, content_type="application/x-amz-json-1.1", headers={"x-amzn-RequestId": "r-1"}
    )
    server = local_server(lambda request: reply)
    found = gather(["log_errors"], context(SIMULATED, server.url), deadline_s=20).get("log_errors")
    calls = [r.json() for r in server.requests]
    pages = logs_source.MAX_PAGES
    assert isinstance(found, LogErrors)
    assert (found.count, found.capped, found.incomplete, found.pages) == (pages, False, True, pages)
    assert len(calls) == pages
    assert (
        calls[0]["filterPattern"] == "ERROR"
        and calls[0]["logGroupName"] == "/ecs/saaspe-production"
    )
    assert calls[0]["startTime"] == int((NOW - timedelta(minutes=5)).timestamp() * 1000)
    assert "nextToken" not in calls[0] and calls[1]["nextToken"] == "more"
