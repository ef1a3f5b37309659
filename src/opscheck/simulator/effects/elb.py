"""The load balancer: its targets, their health and its health check (evidence: `elb`).

The healthy world has an ALB forwarding to a target group with one healthy target per
running task. A fault deregisters targets, fails their health checks, or turns the
group's health check off. moto reports every registered target healthy, so target
health is patched here, in the simulator's own process.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import RUNNING_TASKS, World

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


@seed("elb", after=("network",))
def load_balancer(world: World) -> None:
    target = world.target
    elb = world.client("elbv2")
    lb = elb.create_load_balancer(
        Name=target.alb.name,
        Subnets=world.subnets,
        SecurityGroups=[world.security_group],
        Type="application",
    )["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name=target.alb.target_group,
        Protocol="HTTP",
        Port=3000,
        VpcId=world.vpc,
        TargetType="ip",
        HealthCheckPath="/health",
    )["TargetGroups"][0]
    world.target_group_arn = tg["TargetGroupArn"]
    world.load_balancer_dimension = (
        target.alb.dimension or lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    )
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": world.target_group_arn}],
    )
    elb.register_targets(
        TargetGroupArn=world.target_group_arn,
        Targets=[{"Id": f"10.0.1.{10 + i}", "Port": 3000} for i in range(RUNNING_TASKS)],
    )


class TargetsChange(Change):
    """Targets deregistered, or failing their health checks."""

    registered: int | None = None
    """Targets left registered."""
    state: str | None = None
    """Their health state, e.g. `unhealthy`."""
    reason: str | None = None
    """Their health reason code."""
    description: str | None = None
    """Their health description."""


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


class TargetGroupHealthCheckChange(Change):
    """Whether the target group health-checks its targets."""

    enabled: bool


@effect("target_group_health_check", TargetGroupHealthCheckChange)
def change_target_group_health_check(
    world: World, change: TargetGroupHealthCheckChange, fault: Fault
) -> None:
    world.client("elbv2").modify_target_group(
        TargetGroupArn=world.target_group_arn, HealthCheckEnabled=change.enabled
    )
