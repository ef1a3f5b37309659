"""The checks against the simulated production, run as a user runs them.

For the healthy baseline every check is evaluated and passes. For every fault in the
catalog, exactly the checks the catalog expects fail, in the fault's scenario, pointing
at the fault's cause and nothing else; the summary shows what the runbook says.
"""

from __future__ import annotations

import json
import os

import pytest

from opscheck.runbook import load as load_runbook
from opscheck.simulator.catalog import load as load_catalog
from tests.helpers import ROOT, run_checks, simulator

CATALOG = load_catalog(ROOT / "fixtures/faults")
# Findings of every run, healthy or not, that are true of this repository itself.
KNOWN = {
    # The shipped runbook's next review (2025-12-01) is past: a real finding, on every run.
    "test_runbook_review_is_not_overdue",
}
RUNBOOK = load_runbook(ROOT / "runbook/incident-response.md")


def test_healthy_production_passes_every_p0_check(tmp_path):
    result = run_checks(tmp_path, "-m", "p0")
    assert result.returncode == 0, result.output
    assert len(result.checks) >= 8
    assert result.named("passed") == set(result.checks)
    assert "SIMULATED" in result.output


def test_healthy_production_fails_only_what_is_true_of_the_repository(tmp_path):
    result = run_checks(tmp_path)
    assert result.returncode == 1, result.output
    assert result.checks, "no checks ran"
    assert result.named("failed") == KNOWN
    assert result.named("inconclusive") == set()
    assert len(result.named("passed")) == len(result.checks) - len(KNOWN)
    assert "SIMULATED" in result.output
    # Run as a user holding only `python -m opscheck.iam policy`, with moto enforcing it:
    # that policy is enough for every check.
    assert "as arn:aws:iam::123456789012:user/opscheck-readonly" in result.output


@pytest.mark.parametrize("fault", sorted(CATALOG))
def test_each_fault_flags_its_scenario_and_cause_only(tmp_path, fault):
    staged = CATALOG[fault]
    assert staged.expect_failing or staged.expect_inconclusive, f"{fault} expects nothing"
    result = run_checks(tmp_path, "--simulate", fault)
    assert result.returncode == 1, result.output
    failed = {name: result.checks[name] for name in result.named("failed") - KNOWN}
    elsewhere = set(staged.expect_failing_elsewhere)
    assert set(failed) == set(staged.expect_failing) | elsewhere, result.output
    failed = {name: check for name, check in failed.items() if name not in elsewhere}
    assert result.named("inconclusive") == set(staged.expect_inconclusive), result.output
    # What fails is in the fault's section; what cannot be seen (a token refused, an alarm
    # missing) may be anywhere, and is asserted exactly above.
    if failed:
        assert {c.section for c in failed.values()} == {staged.scenario}
        severity = staged.severity or RUNBOOK.scenario(staged.scenario).severity
        assert {c.severity for c in failed.values()} == {severity}
    causes = {c.cause for c in failed.values()} - {None}
    assert causes == ({staged.cause} if staged.cause else set())


def test_summary_says_what_the_runbook_says(tmp_path):
    step_summary = tmp_path / "step-summary.md"
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(step_summary))
    result = run_checks(tmp_path, "-m", "p0", "--simulate", "bad-deployment", env=env)
    out = result.output
    assert "P0 1. All ECS Tasks Down | respond: Immediate (< 5 minutes)" in out
    assert "runbook/incident-response.md#1-all-ecs-tasks-down-p0" in out
    assert "likely cause: 1. Failed deployment (bad Docker image)" in out
    assert "resolution, 'If bad deployment':" in out
    assert "aws --endpoint-url http://127.0.0.1:" in out and "ecs update-service" in out
    assert "./scripts/mcp aws ecs describe --service saaspe-production-service" in out
    assert "L1 On-Call Engineer (0-15 min) -> L2 DevOps Lead (15-30 min)" in out
    assert "L4 CTO/CEO (>60 min)" in out
    assert "CannotPullContainerError" in out
    # The runbook hard-codes revision 2; the evidence says the last good one is 3.
    assert "--task-definition saaspe-production-backend:3 \\" in out
    assert "backend:2" not in out
    assert "::error title=P0%3A 1. All ECS Tasks Down::test_running_tasks_meet_desired" in out
    assert "🔴 INCIDENT: P0 All ECS Tasks Down on simulated" in out
    assert step_summary.read_text().startswith("## opscheck: FAIL on simulated")
    incident = (tmp_path / "reports" / "incident.md").read_text()
    assert "(likely: Failed deployment (bad Docker image))" in incident


def test_cause_without_a_runbook_branch_says_so(tmp_path):
    result = run_checks(tmp_path, "-m", "p0", "--simulate", "bad-env-var")
    assert "likely cause: 3. Configuration error (bad env vars)" in result.output
    assert "the runbook has no resolution branch for this cause" in result.output


def test_symptom_without_cause_lists_the_runbook_causes(tmp_path):
    result = run_checks(tmp_path, "-m", "p0", "--simulate", "health-503")
    assert "likely cause: not identified by the evidence; the runbook lists:" in result.output
    assert "4. AWS service issue" in result.output


def test_faults_combine(tmp_path):
    result = run_checks(tmp_path, "-m", "p0", "--simulate", "targets-unhealthy,health-503")
    assert result.named("failed") == {"test_targets_are_healthy", "test_health_endpoint_answers"}


def test_saved_evidence_rebuilds_the_report_with_no_network(tmp_path):
    """The post-mortem bundle: evidence saved during the incident gives the same report later."""
    saved = tmp_path / "evidence.json"
    live = run_checks(tmp_path / "live", "--simulate", "out-of-memory", f"--save-evidence={saved}")
    assert saved.exists()
    # Any network use during the replay would fail: every proxy points at a closed port.
    offline = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    replay = run_checks(tmp_path / "replay", f"--evidence={saved}", env=offline)
    assert "REPLAY" in replay.output
    assert replay.returncode == live.returncode == 1
    assert replay.named("failed") >= {"test_no_tasks_killed_out_of_memory"}
    assert {n: (c.outcome, c.severity, c.message) for n, c in replay.checks.items()} == {
        n: (c.outcome, c.severity, c.message) for n, c in live.checks.items()
    }


def test_xdist_run_reaches_the_same_verdict(tmp_path):
    result = run_checks(tmp_path, "-m", "p0", "-n", "2", "--simulate", "bad-deployment")
    assert result.returncode == 1, result.output
    assert result.named("failed") == set(CATALOG["bad-deployment"].expect_failing)
    assert "likely cause: 1. Failed deployment (bad Docker image)" in result.output


def test_live_target_honours_aws_endpoint_url(tmp_path, monkeypatch):
    """Production's environment file, pointed at an AWS-compatible endpoint by AWS_ENDPOINT_URL."""
    sim = simulator()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", sim.aws_url)
        # The simulation lets in only its read-only user (see tests/test_read_only.py).
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", sim.credentials["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", sim.credentials["aws_secret_access_key"])
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        result = run_checks(tmp_path, "-m", "p0", "--env", "production")
    finally:
        sim.stop()
    assert "LIVE AWS" in result.output
    assert "AWS account 123456789012" in result.output
    assert result.named("failed") == set()
    # production.toml names no health URL: that check is not configured, and says what to add;
    # it does not fail the run.
    assert result.named("inconclusive") == set()
    assert result.named("not_configured") == {"test_health_endpoint_answers"}
    assert "not configured: no health URL is set: add [app] health_url to production.toml" in (
        result.output
    )
    assert result.returncode == 0


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
