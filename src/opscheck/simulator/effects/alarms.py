"""Alarm effects: an alarm of the target, by its role, put in a state."""

from __future__ import annotations

from pydantic import RootModel

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import effect
from opscheck.simulator.world import World


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
