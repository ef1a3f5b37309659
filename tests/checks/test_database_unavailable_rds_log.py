"""Scenario 3's causes as PostgreSQL's log says them (refused connections, storage errors),
and the log read that a check finding nothing relies on, on hand-built evidence."""

from __future__ import annotations

import pytest

from opscheck.outcomes import Failure
from tests.checks.helpers import (
    COMMANDS,
    DB,
    LOG_FILE,
    failure,
    inconclusive_reason,
    log_line,
    matches,
    rds_log,
)
from tests.helpers import load_checks

db_checks = load_checks("test_database_unavailable")
REFUSED = log_line("FATAL: sorry, too many clients already")
DISK = log_line('ERROR: could not extend file "base/16384/24576": No space left on device')


def test_a_log_read_whole_without_refusals_or_storage_errors_passes() -> None:
    db_checks.test_rds_log_has_no_refused_connections(rds_log(), COMMANDS)
    db_checks.test_rds_log_has_no_storage_errors(rds_log(), COMMANDS)


def test_recent_refusals_are_the_database_refusing_now() -> None:
    found = failure(
        db_checks.test_rds_log_has_no_refused_connections,
        rds_log(refused_connections=matches(log_line("FATAL: earlier", 40), REFUSED)),
        COMMANDS,
    )
    assert isinstance(found, Failure) and found.severity == "P0"
    message = str(found)
    assert "refused 2 connections" in message and "too many clients already" in message
    # The runbook's log listing and the file's download, for this environment.
    assert f"aws rds describe-db-log-files --db-instance-identifier {DB}" in message
    assert f"--log-file-name {LOG_FILE} --starting-token 0" in message and "\\" not in message


def test_refusals_only_earlier_in_the_hour_are_p2() -> None:
    earlier = matches(log_line("FATAL: remaining connection slots are reserved", 40))
    found = failure(
        db_checks.test_rds_log_has_no_refused_connections,
        rds_log(refused_connections=earlier),
        COMMANDS,
    )
    assert isinstance(found, Failure) and found.severity == "P2"


def test_storage_errors_are_an_outage_of_the_database() -> None:
    found = failure(
        db_checks.test_rds_log_has_no_storage_errors,
        rds_log(storage_errors=matches(DISK)),
        COMMANDS,
    )
    assert isinstance(found, Failure) and found.severity == "P0"
    assert "No space left on device" in str(found) and "AllocatedStorage" in str(found)


@pytest.mark.parametrize(
    "check",
    [
        db_checks.test_rds_log_has_no_refused_connections,
        db_checks.test_rds_log_has_no_storage_errors,
    ],
)
def test_finding_nothing_in_a_log_cut_short_is_inconclusive(check) -> None:
    cut = rds_log(cut_at=4_194_304, unread=("error/postgresql.log.2026-11-26-13",))
    reason = inconclusive_reason(check, cut, COMMANDS)
    assert "4,194,304 bytes" in reason and "postgresql.log.2026-11-26-13" in reason
    # What the part read holds still fails.
    with pytest.raises(Failure):
        check(
            cut.model_copy(
                update={"refused_connections": matches(REFUSED), "storage_errors": matches(DISK)}
            ),
            COMMANDS,
        )


def test_no_log_file_in_the_hour_is_not_a_quiet_database() -> None:
    reason = inconclusive_reason(
        db_checks.test_rds_log_has_no_refused_connections, rds_log(files=()), COMMANDS
    )
    assert "no PostgreSQL log file" in reason and "logging is off" in reason
