"""States and runs an incident's tests build: a bad revision, its rollback, the healthy service."""

from __future__ import annotations

from datetime import timedelta

from opscheck.incident.lifecycle import Observed
from opscheck.incident.record import State
from tests.reports.helpers import WHEN, finding

FAMILY = "saaspe-production-backend"
BAD = State(primary=f"{FAMILY}:4", rollout="IN_PROGRESS", others=(f"{FAMILY}:3",), desired=2)
ROLLING_BACK = State(
    primary=f"{FAMILY}:3", rollout="IN_PROGRESS", others=(f"{FAMILY}:4",), desired=2
)
HEALTHY = State(primary=f"{FAMILY}:3", rollout="COMPLETED", desired=2)

PULL = "test_no_tasks_failed_to_pull_their_image"
TASKS = "test_running_tasks_meet_desired"
ERRORS = "test_error_rate_is_low"


def errors_pass():
    return finding(ERRORS, outcome="passed", section="high-error-rate", severity="P1")


def outage():
    """The first run: no task running, the image could not be pulled (the cause)."""
    return [
        finding(TASKS, message="svc: 0 of 2 tasks running"),
        finding(PULL, cause="failed-deployment"),
        errors_pass(),
    ]


def rolling_back():
    """The rollback half done: 1 of 2 tasks, the pull failures gone from the evidence."""
    return [
        finding(TASKS, severity="P1", message="svc: 1 of 2 tasks running"),
        finding(PULL, outcome="passed", cause="failed-deployment"),
        errors_pass(),
    ]


def healthy():
    return [
        finding(TASKS, outcome="passed"),
        finding(PULL, outcome="passed", cause="failed-deployment"),
        errors_pass(),
    ]


def observed(minutes, findings, state, opening=None):
    """A run `minutes` after WHEN, with its evidence file named by the minute."""
    return Observed(
        at=WHEN + timedelta(minutes=minutes),
        findings=findings,
        state=state,
        evidence=f"evidence-{minutes}.json",
        opening=opening or {},
    )
