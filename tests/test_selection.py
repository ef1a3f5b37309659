"""Markers select what a user would expect: by severity, by kind, by scenario, the database."""

from __future__ import annotations

import pytest

from tests.helpers import run_pytest


def collected(*options: str) -> set[str]:
    """The checks `pytest --collect-only -q OPTIONS` lists."""
    returncode, output = run_pytest(["--collect-only", "-q", "-p", "no:cacheprovider", *options])
    assert returncode in (0, 5), output
    return {line.strip() for line in output.splitlines() if "::" in line}


def selected(expression: str) -> set[str]:
    return collected("-m", expression)


def in_module(checks: set[str], module: str) -> set[str]:
    return {c for c in checks if c.startswith(f"checks/{module}.py::")}


@pytest.fixture(scope="module")
def every() -> set[str]:
    return selected("")


def test_p0_is_the_outage_scenarios(every):
    p0 = selected("p0")
    assert in_module(every, "test_all_ecs_tasks_down") <= p0
    assert in_module(p0, "test_high_error_rate") == set()
    assert "checks/test_database_unavailable.py::test_rds_instance_is_available" in p0


def test_a_graded_check_is_selected_by_each_severity_it_can_report():
    rate = "checks/test_high_error_rate.py::test_error_rate_is_low"
    assert rate in selected("p1") and rate in selected("p2")


def test_database_selects_every_database_check_and_no_other(every):
    database = selected("database")
    assert in_module(every, "test_database_unavailable") <= database
    assert "checks/test_rollback_readiness.py::test_automated_backups_retained" in database
    assert "checks/test_high_error_rate.py::test_error_rate_is_low" not in database
    # The RDS log's checks, in whichever scenario their cause is.
    for check in (
        "test_database_unavailable.py::test_rds_log_has_no_refused_connections",
        "test_slow_performance.py::test_no_slow_statements_in_the_rds_log",
        "test_high_error_rate.py::test_rds_log_has_few_deadlocks",
    ):
        assert f"checks/{check}" in database


def test_readiness_is_what_a_deploy_gate_needs_to_roll_back(every):
    readiness = selected("readiness")
    assert in_module(every, "test_rollback_readiness") <= readiness
    assert (
        "checks/test_deployment_failed.py::test_a_successful_deploy_run_can_be_rerun" in readiness
    )
    assert readiness == selected("rollback-procedures")


def test_kinds_partition_the_checks(every):
    health, config, readiness = selected("health"), selected("config"), selected("readiness")
    assert health | config | readiness == every
    assert not (health & config or health & readiness or config & readiness)


def test_allure_severities_select_at_collection():
    """Severity is an Allure label from collection on, so --allure-severities can select."""
    blockers = collected("--allure-severities", "blocker")
    assert blockers
    assert blockers <= selected("p0")
    assert "checks/test_all_ecs_tasks_down.py::test_service_is_active" in blockers
