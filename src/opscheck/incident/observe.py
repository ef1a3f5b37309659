"""What the evidence shows the on-call did: deployments, counts, reboots, from one run to the next.

The runbook's Update asks for "Action Taken" and a "Current Status" of "Still investigating /
Implementing fix / Rolling back". opscheck cannot know what anyone typed, but it sees what
AWS now says: a PRIMARY deployment rolling out an older revision than the one it replaces
is a rollback, a newer one is a fix going out, a changed desired count is a scale change,
an RDS reboot event is a reboot. Only what the evidence shows is said; the rest is left to
the template's placeholder.
"""

from __future__ import annotations

from opscheck.evidence.collect import Evidence
from opscheck.evidence.ecs import EcsService
from opscheck.evidence.rds import RdsEvents, RdsInstance
from opscheck.incident.record import State

ROLLING_BACK = "Rolling back"
FIXING = "Implementing fix"
INVESTIGATING = "Still investigating"
READS = ("ecs_service", "rds_instance", "rds_events")  # what an incident run reads besides


def state_of(evidence: Evidence | None) -> State | None:
    """The state of what an on-call changes, as far as this run's evidence shows it."""
    if evidence is None:
        return None
    service = evidence.values.get("ecs_service")
    instance = evidence.values.get("rds_instance")
    events = evidence.values.get("rds_events")
    fields: dict[str, object] = {}
    if isinstance(service, EcsService) and service.status != "MISSING":
        primary = service.primary
        fields["desired"] = service.desired
        if primary is not None:
            fields["primary"] = primary.revision
            fields["rollout"] = primary.rollout_state
        fields["others"] = tuple(
            d.revision for d in service.deployments if d is not primary and d.status != "INACTIVE"
        )
    if isinstance(instance, RdsInstance) and not instance.missing:
        fields["rds_status"] = instance.status
    if isinstance(events, RdsEvents):
        fields["rds_reboots"] = tuple(
            e.date for e in events.events if "reboot" in e.message.lower()
        )
    return State(**fields) if fields else None  # type: ignore[arg-type]


def number(revision: str | None) -> int | None:
    """N of 'family:N'; None when there is no revision or no number."""
    tail = (revision or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() else None


def status(now: State | None, first: State | None) -> str:
    """Current Status: a rollback, a fix rolling out, or still investigating.

    A rollout of the revision the incident began with is not a fix: it is what failed.
    """
    if now is None or now.rollout != "IN_PROGRESS" or now.primary is None:
        return INVESTIGATING
    mine = number(now.primary)
    others = [n for n in map(number, now.others) if n is not None]
    if mine is not None and others and mine < max(others):
        return f"{ROLLING_BACK} to :{mine}"
    began_with = first.primary if first else None
    if mine is not None and all(mine > n for n in others) and now.primary != began_with:
        return FIXING
    return INVESTIGATING


def actions(before: State | None, now: State | None) -> list[str]:
    """What the evidence shows changed between two runs, in the on-call's words."""
    if before is None or now is None:
        return []
    done = []
    if before.primary and now.primary and before.primary != now.primary:
        old, new = number(before.primary), number(now.primary)
        verb = "Rolled back" if old is not None and new is not None and new < old else "Deployed"
        done.append(f"{verb} {before.primary} -> {now.primary}")
    if before.desired is not None and now.desired is not None and before.desired != now.desired:
        done.append(f"Desired count changed from {before.desired} to {now.desired}")
    new_reboots = set(now.rds_reboots) - set(before.rds_reboots)
    if new_reboots or (now.rds_status == "rebooting" and before.rds_status != "rebooting"):
        done.append("RDS instance rebooted")
    return done
