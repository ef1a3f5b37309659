"""Evidence from CloudWatch: the state of every alarm the target names."""

from __future__ import annotations

from datetime import datetime

from opscheck.evidence.base import Context, Model, source
from opscheck.outcomes import inconclusive


class Alarm(Model):
    name: str
    state: str  # OK, ALARM, INSUFFICIENT_DATA
    reason: str = ""
    updated_at: datetime | None = None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()


class Alarms(Model):
    region: str
    alarms: dict[str, Alarm]
    missing: tuple[str, ...] = ()

    def readable(self, name: str) -> Alarm:
        """The alarm, to read its state; inconclusive when it is missing or has no data to judge."""
        if name in self.missing:
            inconclusive(
                f"alarm {name} does not exist in {self.region}: nothing to read "
                "(is its name in [alarms] of the environment file right?)"
            )
        alarm = self.alarms[name]
        if alarm.state == "INSUFFICIENT_DATA":
            inconclusive(f"alarm {name} has insufficient data: {alarm.reason}")
        return alarm

    def not_firing(self, name: str) -> None:
        """Fail when the alarm is in ALARM, saying since when and why."""
        alarm = self.readable(name)
        if alarm.state == "ALARM":
            raise AssertionError(
                f"alarm {name} is in ALARM since {alarm.updated_at}: {alarm.reason}"
            )


@source("alarms", actions=("cloudwatch:DescribeAlarms",))
def alarms(ctx: Context) -> Alarms:
    """Every alarm named in the target, fetched in one call; names AWS does not know are missing."""
    names = list(ctx.target.alarms.model_dump().values())
    pages = ctx.aws.client("cloudwatch").get_paginator("describe_alarms")
    found: dict[str, Alarm] = {}
    for page in pages.paginate(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
        for kind in ("MetricAlarms", "CompositeAlarms"):
            for a in page.get(kind, []):
                # Filtered here too: not every AWS-compatible endpoint honours AlarmNames.
                if a["AlarmName"] in names:
                    found[a["AlarmName"]] = Alarm(
                        name=a["AlarmName"],
                        state=a["StateValue"],
                        reason=a.get("StateReason", ""),
                        updated_at=a.get("StateUpdatedTimestamp"),
                        actions_enabled=a.get("ActionsEnabled", True),
                        alarm_actions=tuple(a.get("AlarmActions", [])),
                    )
    missing = tuple(n for n in names if n not in found)
    return Alarms(region=ctx.aws.region, alarms=found, missing=missing)
