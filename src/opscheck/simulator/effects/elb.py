"""Load balancer effects: targets deregistered, or failing their health checks.

moto reports every registered target healthy, so target health is patched here, in the
simulator's own process.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import World

# Target health moto cannot express, by target group ARN: (state, reason, description).
TARGET_HEALTH: dict[str, tuple[str, str | None, str | None]] = {}
_moto_health_for = FakeTargetGroup.health_for


def _health_for(group: FakeTargetGroup, target: dict[str, Any], ec2: Any) -> FakeHealthStatus:
    status = _moto_health_for(group, target, ec2)
    override = TARGET_HEALTH.get(group.arn)
    if override and status.status == "healthy":
        return FakeHealthStatus(
            status.instance_id, status.port, status.health_check_port, *override
        )
    return status


FakeTargetGroup.health_for = _health_for  # type: ignore[method-assign]


class TargetsChange(Change):
    registered: int | None = None
    state: str | None = None
    reason: str | None = None
    description: str | None = None


@effect("targets", TargetsChange)
def change_targets(world: World, change: TargetsChange, fault: Fault) -> None:
    elb = world.client("elbv2")
    registered = elb.describe_target_health(TargetGroupArn=world.target_group_arn)
    targets = [d["Target"] for d in registered["TargetHealthDescriptions"]]
    if change.registered is not None and change.registered < len(targets):
        elb.deregister_targets(
            TargetGroupArn=world.target_group_arn, Targets=targets[change.registered :]
        )
    if change.state:
        TARGET_HEALTH[world.target_group_arn] = (change.state, change.reason, change.description)
