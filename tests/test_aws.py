"""A 200 that is not AWS's answer (a proxy's page, a captive portal, a body cut short) is
"could not see", naming the operation: never read as an empty result."""

from __future__ import annotations

import pytest

from opscheck.evidence import Unavailable, gather
from tests.helpers import SIMULATED as TARGET
from tests.helpers import Reply, StartServer, context

PORTAL = Reply(200, "<html><body>Sign in to continue</body></html>", content_type="text/html")
CUT_SHORT = Reply(
    200,
    '{"events": [{"message": "ERROR boom", "timest',
    content_type="application/x-amz-json-1.1",
    headers={"x-amzn-RequestId": "7d3b0c6e-1f0a-4d5e-8a8e-0c1b2a3d4e5f"},
)


def read(source: str, url: str) -> object:
    return gather([source], context(TARGET, url, max_attempts=1), deadline_s=20).get(source)


@pytest.mark.parametrize(
    ("source", "operation"),
    [
        ("ecs_service", "ecs:DescribeServices"),
        ("stopped_tasks", "ecs:ListTasks"),
        ("log_errors", "logs:FilterLogEvents"),
        ("alarms", "cloudwatch:DescribeAlarms"),
        ("cloudwatch_dashboard", "cloudwatch:GetDashboard"),
        ("rds_instance", "rds:DescribeDBInstances"),
        ("target_health", "elasticloadbalancing:DescribeTargetGroups"),
    ],
)
def test_a_page_that_is_not_aws_is_unavailable(
    local_server: StartServer, source: str, operation: str
) -> None:
    found = read(source, local_server(lambda request: PORTAL).url)
    assert isinstance(found, Unavailable), found
    assert found.reason.startswith(operation), found.reason
    assert "not an AWS answer" in found.reason


def test_a_body_cut_short_is_unavailable_not_zero_errors(local_server: StartServer) -> None:
    found = read("log_errors", local_server(lambda request: CUT_SHORT).url)
    assert isinstance(found, Unavailable), found
    assert found.reason.startswith("logs:FilterLogEvents answered 200 with a body that is not JSON")
