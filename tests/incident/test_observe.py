"""What the evidence shows the on-call did, and where the incident stands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opscheck.evidence.collect import Evidence
from opscheck.evidence.ecs import Deployment, EcsService
from opscheck.evidence.rds import RdsEvent, RdsEvents, RdsInstance
from opscheck.incident import observe
from opscheck.incident.record import State
from tests.helpers import NOW, TASK_DEFINITION
from tests.incident.helpers import BAD, FAMILY, HEALTHY, ROLLING_BACK


def deployment(revision, status, state="IN_PROGRESS"):
    return Deployment(
        id=f"ecs-svc/{revision}",
        status=status,
        task_definition=f"{TASK_DEFINITION}:{revision}",
        desired=2,
        running=1,
        pending=1,
        rollout_state=state,
    )


def test_the_state_is_read_from_the_evidence():
    service = EcsService(
        cluster="c",
        name="svc",
        status="ACTIVE",
        desired=2,
        deployments=(deployment(3, "PRIMARY"), deployment(4, "ACTIVE")),
    )
    reboot = RdsEvent(date=NOW - timedelta(minutes=3), message="DB instance restarted (reboot)")
    evidence = Evidence(
        target="simulated",
        collected_at=NOW,
        values={
            "ecs_service": service,
            "rds_instance": RdsInstance(identifier="db", status="available"),
            "rds_events": RdsEvents(instance="db", window_minutes=60, events=(reboot,)),
        },
    )
    assert observe.state_of(evidence) == State(
        primary=f"{FAMILY}:3",
        rollout="IN_PROGRESS",
        others=(f"{FAMILY}:4",),
        desired=2,
        rds_status="available",
        rds_reboots=(reboot.date,),
    )


def test_no_evidence_of_it_is_no_state():
    assert observe.state_of(None) is None
    assert observe.state_of(Evidence(target="s", collected_at=NOW, values={})) is None


@pytest.mark.parametrize(
    ("now", "first", "status"),
    [
        (ROLLING_BACK, BAD, "Rolling back to :3"),
        (
            State(primary=f"{FAMILY}:5", rollout="IN_PROGRESS", others=(f"{FAMILY}:4",)),
            BAD,
            "Implementing fix",
        ),
        (BAD, BAD, "Still investigating"),  # the bad revision still rolling out is no fix
        (HEALTHY, BAD, "Still investigating"),
        (None, BAD, "Still investigating"),
    ],
)
def test_current_status_from_the_deployments(now, first, status):
    assert observe.status(now, first) == status


def test_actions_seen_between_two_runs():
    assert observe.actions(BAD, ROLLING_BACK) == [f"Rolled back {FAMILY}:4 -> {FAMILY}:3"]
    scaled = HEALTHY.model_copy(update={"desired": 4, "primary": f"{FAMILY}:5"})
    assert observe.actions(HEALTHY, scaled) == [
        f"Deployed {FAMILY}:3 -> {FAMILY}:5",
        "Desired count changed from 2 to 4",
    ]
    rebooting = HEALTHY.model_copy(update={"rds_status": "rebooting"})
    assert observe.actions(HEALTHY, rebooting) == ["RDS instance rebooted"]
    rebooted = HEALTHY.model_copy(update={"rds_reboots": (NOW,)})
    assert observe.actions(HEALTHY, rebooted) == ["RDS instance rebooted"]
    assert observe.actions(HEALTHY, HEALTHY) == []
    assert observe.actions(None, HEALTHY) == []
