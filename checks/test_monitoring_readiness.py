"""Runbook section "Monitoring Quick Commands": is the monitoring there before it is needed.

Every scenario begins with a CloudWatch alarm, and the quick commands open the dashboard,
list active alarms and tail the service's logs. An alarm that does not exist, notifies
nobody or has no data never starts an incident; a missing dashboard or log group leaves
the on-call with nothing to look at. Severity P2 ("partial functionality impaired,
workaround available"): nothing is down, but incidents go unseen until users report them.
"""

import re

import pytest

from opscheck import inconclusive

pytestmark = [pytest.mark.runbook("monitoring-quick-commands", severity="P2"), pytest.mark.config]

SNS_TOPIC = re.compile(r"^arn:[^:]+:sns:")


def _existing(alarms):
    if not alarms.alarms:
        inconclusive(
            f"none of the named alarms exist in {alarms.region} "
            f"({', '.join(alarms.missing)}): nothing to read"
        )
    return sorted(alarms.alarms.values(), key=lambda a: a.name)


def test_named_alarms_exist(alarms):
    """The runbook's symptoms name these alarms; one that does not exist never fires."""
    assert not alarms.missing, (
        f"alarm(s) {', '.join(alarms.missing)} named in [alarms] do not exist in {alarms.region}"
    )


def test_alarms_notify_an_sns_topic(alarms):
    """An alarm with no SNS action changes state in the console and tells nobody."""
    silent = [a.name for a in _existing(alarms) if not any(map(SNS_TOPIC.match, a.alarm_actions))]
    assert not silent, f"alarm(s) {', '.join(silent)} have no SNS topic among their alarm actions"


def test_alarm_actions_are_enabled(alarms):
    """With ActionsEnabled false an alarm goes to ALARM without running its actions."""
    muted = [a.name for a in _existing(alarms) if not a.actions_enabled]
    assert not muted, (
        f"alarm(s) {', '.join(muted)} have their actions disabled (ActionsEnabled false): "
        "they notify nobody; re-enable with `aws cloudwatch enable-alarm-actions`"
    )


def test_alarms_have_data(alarms):
    """An alarm in INSUFFICIENT_DATA cannot fire: its metric is not published, or its
    dimensions name a resource that does not exist."""
    blind = [
        f"{a.name} since {a.updated_at:%Y-%m-%d %H:%M} UTC ({a.reason})"
        if a.updated_at
        else f"{a.name} ({a.reason})"
        for a in _existing(alarms)
        if a.state == "INSUFFICIENT_DATA"
    ]
    assert not blind, f"alarm(s) in INSUFFICIENT_DATA: {'; '.join(blind)}"


def test_ecs_deployment_alarms_are_configured(ecs_service):
    """ECS deployment alarms stop and roll back a deploy that sets off an alarm, before the
    runbook's scenario 5 needs a person to do it."""
    s = ecs_service
    if s.status == "MISSING":
        inconclusive(f"service {s.name} does not exist ({s.missing_reason}): no settings to read")
    assert s.settings.alarms_enabled and s.settings.alarms, (
        f"{s.name} has no deployment alarms enabled "
        f"(enable={s.settings.alarms_enabled}, alarms: {', '.join(s.settings.alarms) or 'none'})"
    )


def test_dashboard_exists(cloudwatch_dashboard):
    """The runbook's Critical Links and quick commands open this dashboard."""
    d = cloudwatch_dashboard
    assert d.exists, f"CloudWatch dashboard {d.name} does not exist in {d.region}"


def test_log_group_exists(log_group_config):
    """'Recent logs' and the error searches of scenario 2 read this log group."""
    g = log_group_config
    assert g.exists, f"log group {g.name} does not exist in {g.region}: the tasks' logs go nowhere"


@pytest.mark.runbook("monitoring-quick-commands", severity="P3")
def test_log_group_has_retention(log_group_config):
    """Without a retention policy CloudWatch keeps logs forever and bills for them: a
    minor issue with no user impact (P3), found here before the bill finds it."""
    g = log_group_config
    if not g.exists:
        inconclusive(f"log group {g.name} does not exist in {g.region}: no retention to read")
    assert g.retention_days, f"log group {g.name} has no retention policy: logs never expire"
