"""JUnit XML, the format every CI reads: opscheck's verdicts where its reporters look."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

CHECKS = """
import pytest
from opscheck import fail

@pytest.mark.runbook("all-ecs-tasks-down")
@pytest.mark.health
def test_service(ecs_service):
    assert ecs_service.status == "ACTIVE"

@pytest.mark.runbook("all-ecs-tasks-down", cause="failed-deployment")
@pytest.mark.health
def test_image(stopped_tasks):
    pass

@pytest.mark.runbook("high-error-rate", severity=("P1", "P2"))
@pytest.mark.health
def test_error_rate(fact):
    fact("series", "1,2,3")
    fail("5xx rate 7.0% (P2 above 5%)", severity="P2")

@pytest.mark.runbook("high-error-rate", cause="bad-deployment")
@pytest.mark.health
def test_sentry(sentry_issues):
    pass
"""


def test_junit_carries_severity_section_cause_and_inconclusive_as_error(project, tmp_path):
    (project.path / "checks" / "test_check.py").write_text(CHECKS, encoding="utf-8")
    service = {
        "name": "s",
        "cluster": "c",
        "status": "ACTIVE",
        "desired": 2,
        "running": 2,
        "pending": 0,
    }
    evidence = tmp_path / "evidence.json"
    evidence.write_text(
        json.dumps(
            {
                "schema": 1,
                "target": "production",
                "collected_at": "2026-11-26T10:00:00+00:00",
                "sources": {
                    "ecs_service": {"value": service},
                    "stopped_tasks": {
                        "unavailable": "ecs:ListTasks was denied",
                        "permission": None,
                    },
                    "sentry_issues": {
                        "unavailable": "no [sentry] table in production.toml: add one",
                        "permission": None,
                        "not_configured": True,
                    },
                },
            }
        )
    )
    xml = tmp_path / "junit.xml"
    result = project.runpytest(f"--evidence={evidence}", f"--junitxml={xml}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "PytestWarning" not in result.stdout.str()
    assert "record_property is incompatible" not in result.stdout.str()
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    outcome = {
        name: next(((c.tag, c.get("message")) for c in case if c.tag != "properties"), None)
        for name, case in cases.items()
    }
    assert outcome["test_service"] is None
    assert outcome["test_error_rate"] == (
        "failure",
        "P2 2. High Error Rate: 5xx rate 7.0% (P2 above 5%)",
    )
    assert outcome["test_image"] == (
        "error",
        "INCONCLUSIVE P0 1. All ECS Tasks Down: ecs:ListTasks was denied",
    )
    tag, message = outcome["test_sentry"]
    assert tag == "skipped" and message.startswith("not configured: no [sentry] table")
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
