"""Scenario 2 (high error rate): its checks on hand-built evidence.

The alarm tests also cover scenario 4's alarm: both are the same verdict on a different alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.dependencies import DependencyAnswer
from opscheck.evidence.ecs import Deployment, EcsService
from opscheck.evidence.logs import LogErrors
from opscheck.evidence.metrics import Metrics
from opscheck.evidence.sentry import SentryActivity, SentryIssue
from opscheck.outcomes import Failure, Inconclusive
from tests.checks.helpers import FACTS, LB, answer, deps, hour, metrics, series
from tests.helpers import NOW, SIMULATED, THRESHOLDS, load_checks, thresholds

errors = load_checks("test_high_error_rate")
slow = load_checks("test_slow_performance")


def alarm_evidence(name: str, state: str | None) -> Alarms:
    if state is None:
        return Alarms(region="us-east-2", alarms={}, missing=(name,))
    found = Alarm(name=name, state=state, reason="Threshold Crossed", updated_at=NOW)
    return Alarms(region="us-east-2", alarms={name: found})


def log_errors(count: int, **fields: object) -> LogErrors:
    values: dict[str, object] = {
        "log_group": "/ecs/saaspe-production",
        "pattern": "ERROR",
        "start": NOW - timedelta(minutes=5),
        "end": NOW,
        "count": count,
        "pages": 1,
        "samples": ("ERROR boom",),
    }
    return LogErrors(**(values | fields))


def sentry(events: int, issues: int = 2) -> SentryActivity:
    return SentryActivity(
        org="o4510247421018112",
        api_base="https://sentry.io/api/0",
        window="5m",
        error_events=events,
        unresolved=tuple(
            SentryIssue(short_id=f"SAASPE-{n}", title=f"TypeError #{n}") for n in range(issues)
        ),
    )


# -- alarms of both scenarios ----------------------------------------------------------------

ALARM_CHECKS = [
    (errors.test_application_errors_alarm_is_not_firing, SIMULATED.alarms.application_errors_high),
    (slow.test_response_time_alarm_is_not_firing, SIMULATED.alarms.alb_high_response_time),
]


@pytest.mark.parametrize(("check", "name"), ALARM_CHECKS)
def test_alarm_ok_passes(check: Callable[..., None], name: str) -> None:
    check(alarm_evidence(name, "OK"), SIMULATED)


@pytest.mark.parametrize(("check", "name"), ALARM_CHECKS)
def test_alarm_firing_fails(check: Callable[..., None], name: str) -> None:
    with pytest.raises(AssertionError, match=f"alarm {name} is in ALARM since .*Threshold"):
        check(alarm_evidence(name, "ALARM"), SIMULATED)


@pytest.mark.parametrize(("check", "name"), ALARM_CHECKS)
def test_alarm_insufficient_data_is_inconclusive(check: Callable[..., None], name: str) -> None:
    with pytest.raises(Inconclusive, match="insufficient data"):
        check(alarm_evidence(name, "INSUFFICIENT_DATA"), SIMULATED)


@pytest.mark.parametrize(("check", "name"), ALARM_CHECKS)
def test_missing_alarm_is_inconclusive(check: Callable[..., None], name: str) -> None:
    with pytest.raises(Inconclusive, match=f"alarm {name} does not exist in us-east-2"):
        check(alarm_evidence(name, None), SIMULATED)


# -- error rate ------------------------------------------------------------------------------


def error_rate(target_5xx: float, elb_5xx: float | None = None, requests: float = 1000.0) -> None:
    changed = [hour("alb_requests", 1000.0, requests), hour("alb_target_5xx", 0.0, target_5xx)]
    if elb_5xx is not None:
        changed.append(hour("alb_elb_5xx", 0.0, elb_5xx))
    errors.test_error_rate_is_low(metrics(*changed), THRESHOLDS, FACTS.__setitem__)


@pytest.mark.parametrize("per_minute", [0.0, 2.0, 50.0])
def test_error_rate_at_or_below_5_percent_passes(per_minute: float) -> None:
    error_rate(per_minute)


@pytest.mark.parametrize(
    ("target_5xx", "elb_5xx", "severity"),
    [(51.0, None, "P2"), (100.0, None, "P2"), (101.0, None, "P1"), (70.0, 50.0, "P1")],
    ids=["5.1%", "10%-is-not-above-10%", "10.1%", "target-plus-elb"],
)
def test_error_rate_is_graded_by_the_severity_table(
    target_5xx: float, elb_5xx: float | None, severity: str
) -> None:
    with pytest.raises(Failure) as failure:
        error_rate(target_5xx, elb_5xx)
    assert failure.value.severity == severity
    assert f"{LB}: " in str(failure.value) and "answered 5xx in the last 5 min" in str(
        failure.value
    )


def test_error_rate_counts_load_balancer_5xx() -> None:
    with pytest.raises(Failure, match=r"12\.0% of 5000 requests .*\(0 from targets, 600 from"):
        error_rate(0.0, 120.0)


def test_error_rate_without_requests_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="counted no requests"):
        error_rate(0.0, requests=0.0)


def test_error_rate_without_request_datapoints_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="no datapoints for AWS/ApplicationELB RequestCount"):
        errors.test_error_rate_is_low(
            metrics(series("alb_requests", [])), THRESHOLDS, FACTS.__setitem__
        )


def test_error_rate_without_a_5xx_series_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="metric alb_elb_5xx is not configured"):
        errors.test_error_rate_is_low(metrics(drop=("alb_elb_5xx",)), THRESHOLDS, FACTS.__setitem__)


# -- ERROR lines in the logs -----------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 2, 100])
def test_few_error_lines_pass(count: int) -> None:
    errors.test_few_error_lines_in_logs(log_errors(count), THRESHOLDS)


def test_more_than_100_error_lines_fail() -> None:
    with pytest.raises(AssertionError) as failure:
        errors.test_few_error_lines_in_logs(log_errors(101), THRESHOLDS)
    assert str(failure.value).startswith(
        "/ecs/saaspe-production: 101 ERROR lines in the last 5 min (at most 100 expected); "
        "latest: ERROR boom"
    )


def test_capped_count_says_at_least() -> None:
    with pytest.raises(AssertionError, match="at least 1000 ERROR lines"):
        errors.test_few_error_lines_in_logs(log_errors(1000, capped=True), THRESHOLDS)


def test_capped_count_below_the_limit_is_inconclusive() -> None:
    """Counting stopped at 1000 says nothing of a limit of 1500: never a silent pass."""
    evidence = log_errors(1000, capped=True)
    with pytest.raises(Inconclusive, match=r"at least 1000 ERROR lines.*short of the limit 1500"):
        errors.test_few_error_lines_in_logs(evidence, thresholds(error_lines_5m=1500))


def test_missing_log_group_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="log group /ecs/saaspe-production does not exist"):
        errors.test_few_error_lines_in_logs(log_errors(0, exists=False), THRESHOLDS)


def test_search_cut_short_below_the_limit_is_inconclusive() -> None:
    evidence = log_errors(40, incomplete=True, pages=5)
    with pytest.raises(Inconclusive, match=r"first 5 pages of the search.*may exceed 100"):
        errors.test_few_error_lines_in_logs(evidence, THRESHOLDS)


def test_search_cut_short_above_the_limit_still_fails() -> None:
    with pytest.raises(AssertionError, match="150 ERROR lines"):
        errors.test_few_error_lines_in_logs(log_errors(150, incomplete=True), THRESHOLDS)


# -- Sentry ----------------------------------------------------------------------------------


@pytest.mark.parametrize("events", [0, 100])
def test_few_sentry_events_pass(events: int) -> None:
    errors.test_few_sentry_error_events(sentry(events), THRESHOLDS)


def test_sentry_spike_fails_naming_the_issues() -> None:
    with pytest.raises(AssertionError) as failure:
        errors.test_few_sentry_error_events(sentry(101, issues=5), THRESHOLDS)
    message = str(failure.value)
    assert message.startswith(
        "Sentry organization o4510247421018112: 101 error events in the last 5 min "
        "(at most 100 expected); unresolved issues: SAASPE-0 TypeError #0"
    )
    assert "SAASPE-2" in message and "SAASPE-3" not in message


def test_sentry_spike_without_issues_still_fails() -> None:
    with pytest.raises(AssertionError, match=r"150 error events .*expected\)$"):
        errors.test_few_sentry_error_events(sentry(150, issues=0), THRESHOLDS)


# -- external APIs answer --------------------------------------------------------------------


def test_answering_dependencies_pass() -> None:
    errors.test_external_apis_answer(deps(answer(), answer("payments", status=204)))


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        (answer(status=503, elapsed_s=0.02), "answered 503 in 0.02 s"),
        (answer(status=429, elapsed_s=0.1), "answered 429 in 0.10 s"),
        (answer(status=None, timed_out=True, elapsed_s=5.0, error="no answer within 5 s"), "5 s"),
        (answer(status=None, error="could not connect: refused"), "could not connect: refused"),
    ],
    ids=["503", "rate-limited", "timeout", "refused"],
)
def test_failing_dependency_fails(failing: DependencyAnswer, expected: str) -> None:
    with pytest.raises(AssertionError) as failure:
        errors.test_external_apis_answer(deps(answer("payments"), failing))
    assert str(failure.value).startswith("1 of 2 external APIs failing: external-api GET https")
    assert expected in str(failure.value)


def test_no_dependencies_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match=r"add their health URLs to \[app\] dependencies"):
        errors.test_external_apis_answer(deps())


# -- traffic spike ---------------------------------------------------------------------------


@pytest.mark.parametrize("recent", [1200.0, 3600.0, 600.0])
def test_traffic_up_to_3x_passes(recent: float) -> None:
    errors.test_no_traffic_spike(metrics(hour("alb_requests", 1200.0, recent)), THRESHOLDS)


def test_traffic_spike_fails() -> None:
    evidence = metrics(hour("alb_requests", 1200.0, 4000.0))
    with pytest.raises(AssertionError) as failure:
        errors.test_no_traffic_spike(evidence, THRESHOLDS)
    assert str(failure.value) == (
        f"{LB}: 20000 requests per 5 min in the last 5 min, 3.3x the 6000 per 5 min of the "
        "rest of the hour (at most 3x expected)"
    )


def test_traffic_spike_threshold_is_configurable() -> None:
    evidence = metrics(hour("alb_requests", 1200.0, 3000.0))
    with pytest.raises(AssertionError, match=r"2\.5x"):
        errors.test_no_traffic_spike(evidence, thresholds(traffic_spike_ratio=2.0))


def test_a_partly_published_window_is_not_a_drop() -> None:
    """Four minutes of the window published, at the usual rate: no spike, no division error."""
    values = [1200.0] * 59
    errors.test_no_traffic_spike(metrics(series("alb_requests", values)), THRESHOLDS)


def test_traffic_without_a_baseline_is_inconclusive() -> None:
    evidence = metrics(series("alb_requests", [5000.0] * 5))
    with pytest.raises(Inconclusive, match="no baseline"):
        errors.test_no_traffic_spike(evidence, THRESHOLDS)


def test_graded_metric_checks_record_their_series_for_the_sparkline() -> None:
    FACTS.clear()
    error_rate(target_5xx=20.0)
    assert FACTS["series"].split(",")[-1] == "20"


# -- a bad deployment: errors that began with the latest deploy -------------------------------


def deployed(minutes_ago: float | None) -> EcsService:
    created = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    primary = Deployment(
        id="ecs-svc/42",
        status="PRIMARY",
        task_definition="arn:aws:ecs:us-east-2:1:task-definition/saaspe-production-backend:4",
        desired=2,
        running=2,
        pending=0,
        created_at=created,
    )
    return EcsService(cluster="c", name="x-service", status="ACTIVE", deployments=(primary,))


def since_deploy(target_5xx: float, minutes: int = 20) -> Metrics:
    return metrics(hour("alb_target_5xx", 2.0, target_5xx, minutes=minutes))


def test_errors_that_began_with_the_deploy_fail() -> None:
    with pytest.raises(AssertionError) as failure:
        errors.test_errors_did_not_start_with_the_latest_deploy(
            deployed(20), since_deploy(144.0), THRESHOLDS
        )
    assert str(failure.value) == (
        "x-service: 12.0% of 24000 requests answered 5xx since deployment ecs-svc/42 of "
        "saaspe-production-backend:4 20 min ago, 0.2% before it (above 5% is an elevated error "
        "rate): the errors began with the deploy"
    )


def test_errors_already_high_before_the_deploy_are_not_its_doing() -> None:
    evidence = metrics(hour("alb_target_5xx", 144.0))
    errors.test_errors_did_not_start_with_the_latest_deploy(deployed(20), evidence, THRESHOLDS)


@pytest.mark.parametrize("minutes_ago", [20, 24 * 60])
def test_a_deploy_followed_by_few_errors_or_older_than_the_hour_passes(minutes_ago) -> None:
    errors.test_errors_did_not_start_with_the_latest_deploy(
        deployed(minutes_ago), since_deploy(144.0 if minutes_ago > 60 else 30.0), THRESHOLDS
    )


@pytest.mark.parametrize(
    ("minutes_ago", "reason"),
    [(0.5, "no requests counted since"), (None, "no PRIMARY deployment with a start time")],
)
def test_a_deploy_too_recent_or_undated_is_inconclusive(minutes_ago, reason) -> None:
    with pytest.raises(Inconclusive, match=reason):
        errors.test_errors_did_not_start_with_the_latest_deploy(
            deployed(minutes_ago), since_deploy(144.0), THRESHOLDS
        )
