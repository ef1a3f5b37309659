"""The monitoring readiness checks: alarms, deployment alarms, dashboard, log group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.ecs import DeploymentSettings
from opscheck.evidence.monitoring import Dashboard, LogGroup
from opscheck.outcomes import Inconclusive
from tests.checks.helpers import alarms, service
from tests.helpers import NOW, load_checks

monitoring = load_checks("test_monitoring_readiness")


# -- monitoring checks -----------------------------------------------------------------------

TOPIC = "arn:aws:sns:us-east-2:123456789012:saaspe-production-service-alerts"


def alarm(name: str, **fields: Any) -> Alarm:
    values: dict[str, Any] = {"name": name, "state": "OK", "alarm_actions": (TOPIC,)}
    return Alarm(**(values | fields))


ALARM_CHECKS = (
    monitoring.test_alarms_notify_an_sns_topic,
    monitoring.test_alarm_actions_are_enabled,
    monitoring.test_alarms_have_data,
)


@pytest.mark.parametrize("check", (monitoring.test_named_alarms_exist, *ALARM_CHECKS))
def test_sound_alarms_pass(check: Callable[[Alarms], None]) -> None:
    check(alarms(alarm("a"), alarm("b", state="ALARM")))


def test_missing_alarm_fails_only_the_existence_check() -> None:
    evidence = alarms(alarm("a"), missing=("b",))
    with pytest.raises(AssertionError, match="alarm\\(s\\) b named in \\[alarms\\] do not exist"):
        monitoring.test_named_alarms_exist(evidence)
    for check in ALARM_CHECKS:
        check(evidence)


@pytest.mark.parametrize("check", ALARM_CHECKS)
def test_no_alarm_at_all_is_inconclusive(check: Callable[[Alarms], None]) -> None:
    with pytest.raises(Inconclusive, match="none of the named alarms exist"):
        check(alarms(missing=("a", "b")))


@pytest.mark.parametrize(
    ("check", "broken", "expected"),
    [
        (ALARM_CHECKS[0], {"alarm_actions": ()}, "b have no SNS topic"),
        (
            ALARM_CHECKS[0],
            {"alarm_actions": ("arn:aws:autoscaling:us-east-2:1:scalingPolicy:x",)},
            "b have no SNS topic",
        ),
        (ALARM_CHECKS[1], {"actions_enabled": False}, "b have their actions disabled"),
        (
            ALARM_CHECKS[2],
            {"state": "INSUFFICIENT_DATA", "reason": "no datapoints", "updated_at": NOW},
            "b since 2026-11-26 15:00 UTC \\(no datapoints\\)",
        ),
    ],
)
def test_broken_alarm_fails(check, broken: dict[str, Any], expected: str) -> None:
    with pytest.raises(AssertionError, match=expected):
        check(alarms(alarm("a"), alarm("b", **broken)))


def test_deployment_alarms() -> None:
    check = monitoring.test_ecs_deployment_alarms_are_configured
    on = DeploymentSettings(alarms=("x",), alarms_enabled=True)
    check(service(settings=on))
    with pytest.raises(AssertionError, match="no deployment alarms enabled \\(enable=False"):
        check(service(settings=on.model_copy(update={"alarms_enabled": False})))
    with pytest.raises(AssertionError, match="alarms: none"):
        check(service(settings=DeploymentSettings(alarms_enabled=True)))
    with pytest.raises(Inconclusive, match="does not exist"):
        check(service(status="MISSING", missing_reason="MISSING"))


def test_dashboard_and_log_group_checks() -> None:
    monitoring.test_dashboard_exists(Dashboard(name="d", region="us-east-2", exists=True))
    with pytest.raises(AssertionError, match="dashboard d does not exist in us-east-2"):
        monitoring.test_dashboard_exists(Dashboard(name="d", region="us-east-2", exists=False))
    kept = LogGroup(name="/ecs/x", region="us-east-2", exists=True, retention_days=30)
    forever = kept.model_copy(update={"retention_days": None})
    gone = LogGroup(name="/ecs/x", region="us-east-2", exists=False)
    monitoring.test_log_group_exists(kept)
    monitoring.test_log_group_has_retention(kept)
    monitoring.test_log_group_exists(forever)
    with pytest.raises(AssertionError, match="/ecs/x has no retention policy"):
        monitoring.test_log_group_has_retention(forever)
    with pytest.raises(AssertionError, match="/ecs/x does not exist"):
        monitoring.test_log_group_exists(gone)
    with pytest.raises(Inconclusive, match="no retention to read"):
        monitoring.test_log_group_has_retention(gone)
