"""Evidence from the load balancer: the health of the service's targets."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source


class TargetState(Model):
    id: str
    port: int | None = None
    state: str  # healthy, unhealthy, initial, draining, unused, unavailable
    reason: str | None = None
    description: str | None = None


class HealthCheck(Model):
    """The target group's own health check: how the ALB decides a target is healthy."""

    enabled: bool = False
    protocol: str | None = None
    path: str | None = None
    interval_s: int | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    matcher: str | None = None


class TargetHealth(Model):
    target_group: str
    exists: bool = True
    targets: tuple[TargetState, ...] = ()
    health_check: HealthCheck = HealthCheck()

    @property
    def healthy(self) -> tuple[TargetState, ...]:
        return tuple(t for t in self.targets if t.state == "healthy")

    @property
    def unhealthy(self) -> tuple[TargetState, ...]:
        # New targets are "initial" during every rolling deployment, old ones "draining".
        return tuple(t for t in self.targets if t.state not in ("healthy", "initial", "draining"))


def target_group(ctx: Context) -> dict[str, Any] | None:
    """The service's target group as DescribeTargetGroups answers it, read once for every
    source that needs it (its health, its metrics' dimensions); None when it does not exist."""

    def read() -> dict[str, Any] | None:
        elb = ctx.aws.client("elbv2")
        try:
            return elb.describe_target_groups(Names=[ctx.target.alb.target_group])[  # type: ignore[no-any-return]
                "TargetGroups"
            ][0]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TargetGroupNotFound":
                raise
            return None

    return ctx.once("elasticloadbalancing:DescribeTargetGroups", read)


@source(
    "target_health",
    actions=(
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    ),
)
def target_health(ctx: Context) -> TargetHealth:
    """Every target registered in the service's target group, with its health state."""
    elb = ctx.aws.client("elbv2")
    name = ctx.target.alb.target_group
    group = target_group(ctx)
    if group is None:
        return TargetHealth(target_group=name, exists=False)
    answer = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
    return TargetHealth(
        target_group=name,
        health_check=HealthCheck(
            enabled=group.get("HealthCheckEnabled", False),
            protocol=group.get("HealthCheckProtocol"),
            path=group.get("HealthCheckPath"),
            interval_s=group.get("HealthCheckIntervalSeconds"),
            healthy_threshold=group.get("HealthyThresholdCount"),
            unhealthy_threshold=group.get("UnhealthyThresholdCount"),
            matcher=(group.get("Matcher") or {}).get("HttpCode"),
        ),
        targets=tuple(
            TargetState(
                id=d["Target"]["Id"],
                port=d["Target"].get("Port"),
                state=d["TargetHealth"]["State"],
                reason=d["TargetHealth"].get("Reason"),
                description=d["TargetHealth"].get("Description"),
            )
            for d in answer["TargetHealthDescriptions"]
        ),
    )
