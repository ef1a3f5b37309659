"""Allure results of a run: labelled from the runbook, evidence redacted."""

from __future__ import annotations

import json

from tests.helpers import run_checks


def test_allure_results_carry_the_runbook_and_redacted_evidence(tmp_path):
    """One result per check, labelled from the runbook; a planted secret never reaches it."""
    saved = tmp_path / "evidence.json"
    run_checks(
        tmp_path / "live", "-m", "p0", "--simulate", "health-503", f"--save-evidence={saved}"
    )
    evidence = json.loads(saved.read_text())
    planted = "token=PLANTED-SECRET-42 Authorization: Bearer PLANTED.JWT.VALUE"
    evidence["sources"]["health_endpoint"]["value"]["body"] = planted
    saved.write_text(json.dumps(evidence))
    replay = run_checks(tmp_path / "replay", "-m", "p0", f"--evidence={saved}")
    results = tmp_path / "replay" / "reports" / "allure-results"
    cases = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert len(cases) == len(replay.checks) >= 8
    health = next(c for c in cases if c["name"] == "test_health_endpoint_answers")
    labels = {(label["name"], label["value"]) for label in health["labels"]}
    assert {
        ("severity", "blocker"),
        ("epic", "simulated"),
        ("feature", "1. All ECS Tasks Down"),
        ("story", "symptom"),
        ("response_time", "Immediate (< 5 minutes)"),
        ("escalation", "L1 On-Call Engineer (0-15 min)"),
    } <= labels
    assert health["links"][0]["url"].endswith(
        "runbook/incident-response.md#1-all-ecs-tasks-down-p0"
    )
    written = "".join(p.read_text() for p in results.iterdir())
    written += "".join(p.read_text() for p in (tmp_path / "replay" / "reports").glob("*.*"))
    assert "PLANTED" not in written
    assert "token=[REDACTED]" in written
    assert (results / "environment.properties").read_text().startswith("target=simulated")
    assert json.loads((results / "executor.json").read_text())["name"] == "opscheck"


def test_with_allure_pytest_off_a_run_judges_as_any_and_writes_no_allure_results(tmp_path):
    """`-p no:allure_pytest`: a team that does not want Allure's results turns it off."""
    off = ("-p", "no:allure_pytest")
    result = run_checks(tmp_path, *off, "-m", "p0", "--simulate", "bad-deployment")
    assert result.returncode == 1, result.output
    assert "test_running_tasks_meet_desired" in result.named("failed")
    assert "INTERNALERROR" not in result.output
    assert not (tmp_path / "reports" / "allure-results").exists()
