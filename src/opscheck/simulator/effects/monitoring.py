"""The runbook's monitoring: the CloudWatch dashboard and the log group's retention
(evidence: `monitoring`). The alarms are `cloudwatch` effects."""

from __future__ import annotations

import json

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import World


@seed("monitoring")
def dashboard(world: World) -> None:
    world.client("cloudwatch").put_dashboard(
        DashboardName=world.target.cloudwatch.dashboard,
        DashboardBody=json.dumps({"widgets": []}),
    )


class DashboardChange(Change):
    """Whether the CloudWatch dashboard exists."""

    exists: bool
    """False: the dashboard is deleted."""


class LogRetentionChange(Change):
    """The tasks' log group retention."""

    days: int | None = None
    """Days the logs are kept; left out: no retention policy, kept forever."""


@effect("dashboard", DashboardChange)
def change_dashboard(world: World, change: DashboardChange, fault: Fault) -> None:
    if not change.exists:
        world.client("cloudwatch").delete_dashboards(
            DashboardNames=[world.target.cloudwatch.dashboard]
        )


@effect("log_retention", LogRetentionChange)
def change_log_retention(world: World, change: LogRetentionChange, fault: Fault) -> None:
    logs = world.client("logs")
    if change.days is None:
        logs.delete_retention_policy(logGroupName=world.target.ecs.log_group)
    else:
        logs.put_retention_policy(
            logGroupName=world.target.ecs.log_group, retentionInDays=change.days
        )
