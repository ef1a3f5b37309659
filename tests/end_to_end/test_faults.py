"""Every fault of the catalog flags its scenario and cause only; the summary says what the
runbook says."""

from __future__ import annotations

import os

import pytest

from tests.end_to_end.helpers import CATALOG, KNOWN, RUNBOOK, servers_or_skip
from tests.helpers import run_checks


@pytest.mark.parametrize("fault", sorted(CATALOG))
def test_each_fault_flags_its_scenario_and_cause_only(tmp_path, fault):
    staged = CATALOG[fault]
    assert staged.expect_failing or staged.expect_inconclusive, f"{fault} expects nothing"
    servers_or_skip(fault)
    # The verdicts alone: Allure's results, with faults, are test_allure's and test_secrets'.
    result = run_checks(tmp_path, "-p", "no:allure_pytest", "--simulate", fault)
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
