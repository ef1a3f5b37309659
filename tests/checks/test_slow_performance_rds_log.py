"""Scenario 4's 'Unoptimized database query' as the RDS log's slow statements, on
hand-built evidence."""

from __future__ import annotations

import pytest

from opscheck.outcomes import Failure, NotConfigured
from tests.checks.helpers import COMMANDS, failure, inconclusive_reason, rds_log, slow
from tests.helpers import load_checks, thresholds

perf = load_checks("test_slow_performance")
check = perf.test_no_slow_statements_in_the_rds_log


def test_statements_under_the_threshold_pass() -> None:
    check(rds_log(slow=(slow(1900.0), slow(640.0)), slow_count=2), thresholds(), COMMANDS)


def test_a_statement_over_the_threshold_fails_naming_it() -> None:
    found = failure(
        check,
        rds_log(
            slow=(slow(8423.5, "UPDATE users SET password='[REDACTED]'"), slow(2100.0)),
            slow_count=2,
        ),
        thresholds(rds_slow_statement_ms=2000.0),
        COMMANDS,
    )
    assert isinstance(found, Failure) and found.severity == "P2"
    message = str(found)
    assert message.startswith("2 statements slower than 2000 ms")
    assert "8,424 ms" in message and "UPDATE users SET password='[REDACTED]'" in message
    assert "aws rds describe-db-log-files" in message


def test_durations_not_logged_is_not_configured() -> None:
    with pytest.raises(NotConfigured) as raised:
        check(
            rds_log(slow_log_ms=None, parameter_group="default.postgres16"), thresholds(), COMMANDS
        )
    assert "log_min_duration_statement is off" in raised.value.reason


def test_durations_logged_by_a_role_setting_are_read_whatever_the_group_says() -> None:
    with pytest.raises(Failure):
        check(rds_log(slow_log_ms=None, slow=(slow(5000.0),), slow_count=1), thresholds(), COMMANDS)
    check(rds_log(slow_log_ms=None, slow=(slow(50.0),), slow_count=1), thresholds(), COMMANDS)


def test_a_group_logging_only_slower_statements_than_the_threshold_is_inconclusive() -> None:
    reason = inconclusive_reason(check, rds_log(slow_log_ms=5000.0), thresholds(), COMMANDS)
    assert "5000 ms" in reason and "not logged" in reason


def test_finding_none_in_a_log_cut_short_is_inconclusive() -> None:
    reason = inconclusive_reason(check, rds_log(cut_at=5_000_000), thresholds(), COMMANDS)
    assert "stopped at its bound" in reason
