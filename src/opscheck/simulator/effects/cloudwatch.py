"""CloudWatch alarms: the target's alarms, their states, actions and existence
(evidence: `cloudwatch`).

The healthy world has every alarm the target names, OK, notifying an SNS topic. A fault
puts one in another state, deletes it, drops its actions or disables them.
"""

from __future__ import annotations

from moto.cloudwatch.models import cloudwatch_backends
from pydantic import RootModel

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import ACCOUNT, World


@seed("cloudwatch")
def alarms_ok(world: World) -> None:
    target = world.target
    topic = world.client("sns").create_topic(Name=f"{target.ecs.service}-alerts")["TopicArn"]
    cloudwatch = world.client("cloudwatch")
    for name in target.alarms.model_dump().values():
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/ApplicationELB",
            MetricName="UnHealthyHostCount",
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=2,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topic],
        )
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue="OK", StateReason="Simulated: healthy"
        )


class AlarmStates(RootModel[dict[str, str]]):
    """Alarm role (a key of [alarms] in the environment file) -> OK, ALARM or INSUFFICIENT_DATA."""


@effect("alarms", AlarmStates)  # type: ignore[arg-type]
def set_alarms(world: World, change: AlarmStates, fault: Fault) -> None:
    cloudwatch = world.client("cloudwatch")
    for role, state in change.root.items():
        name = getattr(world.target.alarms, role)
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=f"Simulated: {fault.name}"
        )


class AlarmSetupChange(Change):
    """Alarm roles (keys of [alarms] in the environment file) to change."""

    deleted: tuple[str, ...] = ()
    """Alarm roles whose alarms are deleted."""
    without_actions: tuple[str, ...] = ()
    """Alarm roles whose SNS alarm actions are removed."""
    actions_disabled: tuple[str, ...] = ()
    """Alarm roles whose actions are disabled (ActionsEnabled false)."""


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
