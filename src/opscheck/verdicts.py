"""Verdicts on evidence that many checks reach the same way, worded once.

Evidence models are data and the facts derived from it; deciding that a check fails or
cannot decide belongs to the check. These helpers are for the decisions several checks
share: an alarm in ALARM fails, an alarm that cannot be read and a metric with no
datapoints are inconclusive. Each says so with the outcomes of `opscheck.outcomes`.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING

from opscheck.outcomes import fail, inconclusive

if TYPE_CHECKING:
    from opscheck.evidence.cloudwatch import Alarm, Alarms
    from opscheck.evidence.ecs import StoppedTasks
    from opscheck.evidence.metrics import Metrics
    from opscheck.evidence.rdslogs import RdsLogs


def readable_alarm(alarms: Alarms, name: str) -> Alarm:
    """The alarm, to read its state; inconclusive when it is missing or has no data to judge."""
    if name in alarms.missing:
        inconclusive(
            f"alarm {name} does not exist in {alarms.region}: nothing to read "
            "(is its name in [alarms] of the environment file right?)"
        )
    alarm = alarms.alarms[name]
    if alarm.state == "INSUFFICIENT_DATA":
        inconclusive(f"alarm {name} has insufficient data: {alarm.reason}")
    return alarm


def not_firing(alarms: Alarms, name: str, severity: str | None = None, note: str = "") -> None:
    """Fail when the alarm is in ALARM, saying since when and why (and `note`).

    Without `severity`, a plain assertion: the check fails at its scenario's severity; a
    check that weighs the alarm against what still serves passes the severity it found.
    """
    alarm = readable_alarm(alarms, name)
    if alarm.state == "ALARM":
        at = alarm.updated_at
        since = f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if at else "an unknown time"
        message = f"alarm {name} is in ALARM since {since}: {alarm.reason}"
        message += f"; {note}" if note else ""
        if severity is None:
            raise AssertionError(message)
        fail(message, severity)


def window(metrics: Metrics, key: str, minutes: float) -> tuple[float, ...]:
    """The series' values of the last `minutes`; inconclusive when there are none to read.

    A series CloudWatch publishes only when it is not zero reads as (0.0,) instead.
    """
    series = metrics.series.get(key)
    if series is None:
        inconclusive(f"metric {key} is not configured for this environment")
    values = metrics.last(key, minutes)
    if not values:
        inconclusive(
            f"no datapoints for {series.name} in the last {minutes:g} min: "
            "is the resource publishing metrics, and is the name in the environment file right?"
        )
    return values


def saw_every_stopped_task(stopped: StoppedTasks, what: str) -> None:
    """After finding none that `what`: inconclusive if the read was cut before the last task."""
    if stopped.cut_at is not None:
        inconclusive(
            f"none of the {stopped.cut_at} stopped tasks of {stopped.service} read {what}, but "
            "more were left unread (the read stops there); look at the rest with "
            "aws ecs list-tasks --desired-status STOPPED"
        )


def read_the_whole_log(logs: RdsLogs, what: str) -> None:
    """After finding no line that `what`: inconclusive unless the window's log was all read.

    No file written in the hour is not a quiet database: RDS writes PostgreSQL's log while
    the instance runs, so none means logging is off or the instance did not run.
    """
    name = f"DB instance {logs.instance}"
    if not logs.files and not logs.unread:
        inconclusive(
            f"no PostgreSQL log file of {name} was written in the last {logs.window_minutes} "
            "min: logging is off or the instance is not running, so nothing says whether a "
            f"line {what}"
        )
    if not logs.complete:
        why = (
            f"the read stopped at its bound, {logs.cut_at:,} bytes"
            if logs.cut_at is not None
            else "some files were rotated away before they were read"
        )
        inconclusive(
            f"no line of {name}'s PostgreSQL log {what}, but {why}; unread: "
            f"{', '.join(logs.unread) or 'the rest of the newest file read'} (read them with "
            "aws rds download-db-log-file-portion)"
        )
