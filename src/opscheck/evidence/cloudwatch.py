"""Evidence from CloudWatch: the state of every alarm the target names."""

from __future__ import annotations

from datetime import datetime

from opscheck.evidence.base import Context, Model, source

# Every alarm type DescribeAlarms knows (botocore's model) and the key its answer lists it under:
# a log alarm asked for by name is no less an alarm.
ALARM_TYPES = {
    "MetricAlarm": "MetricAlarms",
    "CompositeAlarm": "CompositeAlarms",
    "LogAlarm": "LogAlarms",
}


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


@source("alarms", actions=("cloudwatch:DescribeAlarms",))
def alarms(ctx: Context) -> Alarms:
    """Every alarm named in the target, fetched in one call; names AWS does not know are missing."""
    names = list(ctx.target.alarms.model_dump().values())
    pages = ctx.aws.client("cloudwatch").get_paginator("describe_alarms")
    found: dict[str, Alarm] = {}
    for page in pages.paginate(AlarmNames=names, AlarmTypes=list(ALARM_TYPES)):
        for kind in ALARM_TYPES.values():
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
