"""Backups without a daily false alarm: snapshots judged against their backup window, and
point-in-time restore against RDS's latest restorable time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from opscheck.evidence.rds import RdsInstance, RdsSnapshot, RdsSnapshots
from opscheck.outcomes import Inconclusive
from opscheck.target import load
from tests.checks.helpers import instance as db
from tests.helpers import ROOT, load_checks

ROLLBACK = load_checks("test_rollback_readiness")
THRESHOLDS = load("simulated", ROOT).thresholds
NOW = datetime(2026, 12, 2, 3, 10, tzinfo=UTC)  # the daily backup window is 03:00-03:30


def newest(hours_old: float, window: str | None = "03:00-03:30") -> RdsSnapshots:
    taken = NOW - timedelta(hours=hours_old)
    snapshot = RdsSnapshot(
        identifier="rds:db-1", kind="automated", status="available", created_at=taken
    )
    return RdsSnapshots(instance="db", read_at=NOW, snapshots=(snapshot,), backup_window=window)


def test_yesterdays_snapshot_passes_while_todays_backup_window_runs() -> None:
    """At 03:10 yesterday's 03:05 snapshot is 24.1 h old: the new one is still being made."""
    ROLLBACK.test_recent_snapshot_exists(newest(24.1), THRESHOLDS)
    ROLLBACK.test_recent_snapshot_exists(newest(25.4), THRESHOLDS)


def test_a_missed_backup_still_fails() -> None:
    with pytest.raises(AssertionError, match=r"27.0 h old.*at most 25.5 h"):
        ROLLBACK.test_recent_snapshot_exists(newest(27), THRESHOLDS)


def test_a_longer_window_allows_longer() -> None:
    ROLLBACK.test_recent_snapshot_exists(newest(26.5, window="23:00-01:00"), THRESHOLDS)


def instance(behind_minutes: float | None, retention: int = 7) -> RdsInstance:
    restorable = None if behind_minutes is None else NOW - timedelta(minutes=behind_minutes)
    return db(backup_retention_days=retention, latest_restorable_time=restorable, read_at=NOW)


def test_point_in_time_restore_close_to_now_passes() -> None:
    ROLLBACK.test_point_in_time_restore_is_current(instance(4), THRESHOLDS)


def test_point_in_time_restore_far_behind_fails() -> None:
    with pytest.raises(AssertionError, match="latest restorable time is 90 min ago"):
        ROLLBACK.test_point_in_time_restore_is_current(instance(90), THRESHOLDS)


def test_an_unsaid_restore_point_is_inconclusive_not_a_pass() -> None:
    with pytest.raises(Inconclusive, match="did not say how recent a restore"):
        ROLLBACK.test_point_in_time_restore_is_current(instance(None), THRESHOLDS)


def test_without_backups_the_retention_check_speaks() -> None:
    ROLLBACK.test_point_in_time_restore_is_current(instance(None, retention=0), THRESHOLDS)
