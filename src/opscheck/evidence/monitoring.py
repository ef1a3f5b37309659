"""Evidence that the runbook's monitoring exists: its dashboard and the tasks' log group.

"Monitoring Quick Commands" opens the CloudWatch dashboard and tails the service's logs;
both have to exist before an incident for those commands to show anything.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source


class Dashboard(Model):
    name: str
    region: str
    exists: bool


class LogGroup(Model):
    name: str
    region: str
    exists: bool
    retention_days: int | None = None  # None: logs are kept forever


@source("cloudwatch_dashboard", actions=("cloudwatch:GetDashboard",))
def cloudwatch_dashboard(ctx: Context) -> Dashboard:
    """Whether the CloudWatch dashboard the runbook links to exists (its body is not kept)."""
    name = ctx.target.cloudwatch.dashboard
    try:
        ctx.aws.client("cloudwatch").get_dashboard(DashboardName=name)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("ResourceNotFound", "ResourceNotFoundException"):
            raise
        return Dashboard(name=name, region=ctx.aws.region, exists=False)
    return Dashboard(name=name, region=ctx.aws.region, exists=True)


@source("log_group_config", actions=("logs:DescribeLogGroups",))
def log_group_config(ctx: Context) -> LogGroup:
    """The service's CloudWatch log group: whether it exists, and how long it keeps logs."""
    name = ctx.target.ecs.log_group
    pages = ctx.aws.client("logs").get_paginator("describe_log_groups")
    for page in pages.paginate(logGroupNamePrefix=name):
        for group in page["logGroups"]:
            # A prefix matches other groups too ("/ecs/app" and "/ecs/app-worker").
            if group["logGroupName"] == name:
                return LogGroup(
                    name=name,
                    region=ctx.aws.region,
                    exists=True,
                    retention_days=group.get("retentionInDays"),
                )
    return LogGroup(name=name, region=ctx.aws.region, exists=False)
