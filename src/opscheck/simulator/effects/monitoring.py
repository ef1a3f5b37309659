"""Monitoring effects: alarms deleted or silenced, deployment alarms off, dashboard and log
retention gone. Alarm states are the `alarms` effect's (effects/alarms.py)."""

from __future__ import annotations

from moto.cloudwatch.models import cloudwatch_backends
from moto.ecs.models import ecs_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import ACCOUNT, World


class AlarmSetupChange(Change):
    """Alarm roles (keys of [alarms] in the environment file) to change."""

    deleted: tuple[str, ...] = ()
    without_actions: tuple[str, ...] = ()  # their SNS alarm actions removed
    actions_disabled: tuple[str, ...] = ()  # ActionsEnabled false


class DeploymentAlarmsChange(Change):
    enabled: bool


class DashboardChange(Change):
    exists: bool


class LogRetentionChange(Change):
    days: int | None = None  # None: no retention policy, logs kept forever


def _names(world: World, roles: tuple[str, ...]) -> list[str]:
    return [getattr(world.target.alarms, role) for role in roles]


@effect("alarm_setup", AlarmSetupChange)
def change_alarm_setup(world: World, change: AlarmSetupChange, fault: Fault) -> None:
    cloudwatch = world.client("cloudwatch")
    if change.deleted:
        cloudwatch.delete_alarms(AlarmNames=_names(world, change.deleted))
    if change.actions_disabled:
        cloudwatch.disable_alarm_actions(AlarmNames=_names(world, change.actions_disabled))
    # moto cannot put an alarm again without resetting its state: its actions are edited.
    stored = cloudwatch_backends[ACCOUNT][world.target.aws.region].alarms
    for name in _names(world, change.without_actions):
        stored[name].alarm_actions = []


@effect("deployment_alarms", DeploymentAlarmsChange)
def change_deployment_alarms(world: World, change: DeploymentAlarmsChange, fault: Fault) -> None:
    target = world.target
    backend = ecs_backends[ACCOUNT][target.aws.region]
    current = backend.services[
        f"{target.ecs.cluster}:{target.ecs.service}"
    ].deployment_configuration
    alarms = dict(current.get("alarms", {}), enable=change.enabled)
    world.client("ecs").update_service(
        cluster=target.ecs.cluster,
        service=target.ecs.service,
        deploymentConfiguration=dict(current, alarms=alarms),
    )


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
