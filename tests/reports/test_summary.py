"""summary.json: every check, in a stable order, and the verdict."""

from __future__ import annotations

import json

from opscheck.reports import summary
from tests.reports.helpers import CONTEXT, FINDINGS, finding


def test_summary_json_carries_every_check_in_a_stable_order():
    data = summary.build(list(reversed(FINDINGS)), CONTEXT)
    assert data["schema"] == 1
    assert data["verdict"] == "fail"
    assert data["counts"] == {"passed": 1, "failed": 3, "inconclusive": 1, "not_configured": 0}
    assert data["target"]["account"] == "123456789012" and data["target"]["simulated"] is True
    assert [c["check"] for c in data["checks"]] == [
        "test_alarm",
        "test_no_tasks_killed_out_of_memory",
        "test_running_tasks_meet_desired",
        "test_service_is_active",
        "test_error_rate",
    ]
    oom = data["checks"][1]
    assert oom["cause_text"] == "Resource exhaustion (out of memory)"
    assert oom["anchor"] == "1-all-ecs-tasks-down-p0"
    assert oom["section_title"] == "1. All ECS Tasks Down"
    assert oom["evidence"] == ["stopped_tasks"]
    assert summary.build(FINDINGS, CONTEXT) == data  # input order does not matter
    json.dumps(data)


def test_summary_json_passes_when_everything_passed():
    data = summary.build([finding("test_a", outcome="passed")], CONTEXT)
    assert data["verdict"] == "pass"
