"""Deadlocks in the RDS log, graded under scenario 2, on hand-built evidence."""

from __future__ import annotations

from opscheck.outcomes import Failure
from tests.checks.helpers import COMMANDS, failure, inconclusive_reason, log_line, matches, rds_log
from tests.helpers import load_checks, thresholds

errors = load_checks("test_high_error_rate")
check = errors.test_rds_log_has_few_deadlocks
DEADLOCK = log_line("ERROR: deadlock detected")


def test_no_deadlock_passes() -> None:
    check(rds_log(), thresholds(), COMMANDS)


def test_a_few_deadlocks_are_advice_and_many_are_p1() -> None:
    few = failure(check, rds_log(deadlocks=matches(DEADLOCK, DEADLOCK)), thresholds(), COMMANDS)
    assert isinstance(few, Failure) and few.severity == "P2"
    assert str(few).startswith("2 deadlocks")
    many = rds_log(deadlocks=matches(DEADLOCK).model_copy(update={"count": 5}))
    frequent = failure(check, many, thresholds(rds_deadlocks_p1=5), COMMANDS)
    assert isinstance(frequent, Failure) and frequent.severity == "P1"


def test_no_deadlock_in_a_log_cut_short_is_inconclusive() -> None:
    reason = inconclusive_reason(check, rds_log(cut_at=5_000_000), thresholds(), COMMANDS)
    assert "reported a deadlock" in reason
