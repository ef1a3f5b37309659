"""Evidence from the load balancer: the health of the service's targets."""

from __future__ import annotations

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source


class TargetState(Model):
    id: str
    port: int | None = None
    state: str  # healthy, unhealthy, initial, draining, unused, unavailable
    reason: str | None = None
    description: str | None = None


class TargetHealth(Model):
    target_group: str
    exists: bool = True
    targets: tuple[TargetState, ...] = ()

    @property
    def healthy(self) -> tuple[TargetState, ...]:
        return tuple(t for t in self.targets if t.state == "healthy")

    @property
    def unhealthy(self) -> tuple[TargetState, ...]:
        # New targets are "initial" during every rolling deployment, old ones "draining".
        return tuple(t for t in self.targets if t.state not in ("healthy", "initial", "draining"))


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
    try:
        groups = elb.describe_target_groups(Names=[name])["TargetGroups"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "TargetGroupNotFound":
            raise
        return TargetHealth(target_group=name, exists=False)
    answer = elb.describe_target_health(TargetGroupArn=groups[0]["TargetGroupArn"])
    return TargetHealth(
        target_group=name,
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
