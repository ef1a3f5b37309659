"""Scenarios 2 (high error rate) and 4 (slow performance): their checks on hand-built
evidence, and their sources against moto and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, Unavailable, gather, read_actions
from opscheck.evidence import logs as logs_source
from opscheck.evidence.cache import CacheCluster
from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.dependencies import Dependencies, DependencyAnswer
from opscheck.evidence.ecs import Deployment, EcsService
from opscheck.evidence.logs import LogErrors, sample
from opscheck.evidence.metrics import QUERIES, Metrics, Series
from opscheck.evidence.sentry import SentryActivity, SentryIssue
from opscheck.outcomes import Failure, Inconclusive, NotConfigured
from opscheck.redact import redact
from opscheck.target import Target, load
from tests.conftest import LocalServer, Reply, StartServer, load_checks

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
CREDENTIALS = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
SIMULATED: Target = load("simulated", ROOT)
THRESHOLDS = SIMULATED.thresholds
FACTS: dict[str, str] = {}  # what checks state with the fact fixture
LB = "app/saaspe-production-alb/4361f80389f5693e"


errors = load_checks("test_high_error_rate")
slow = load_checks("test_slow_performance")


def thresholds(**fields: object) -> Any:
    return THRESHOLDS.model_copy(update=fields)


# -- evidence builders -----------------------------------------------------------------------

QUERY = {q.key: q for q in QUERIES}
HEALTHY_MINUTES = {
    "alb_requests": 1200.0,
    "alb_target_5xx": 2.0,
    "rds_cpu": 22.0,
    "ecs_cpu": 35.0,
    "ecs_memory": 55.0,
    "cache_hits": 5000.0,
    "cache_misses": 250.0,
}
DIMENSIONS = {
    "AWS/ApplicationELB": {"LoadBalancer": LB},
    "AWS/RDS": {"DBInstanceIdentifier": "saaspe-production-postgres"},
    "AWS/ECS": {"ClusterName": "saaspe-production-cluster", "ServiceName": "x-service"},
    "AWS/ElastiCache": {"CacheClusterId": "saaspe-production-redis"},
}


def series(key: str, values: list[float]) -> Series:
    """A series of `values`, one per period, the last one starting a period before NOW."""
    q = QUERY[key]
    step = timedelta(seconds=q.period_s)
    return Series(
        key=key,
        namespace=q.namespace,
        metric=q.metric,
        stat=q.stat,
        period_s=q.period_s,
        dimensions=DIMENSIONS[q.namespace],
        zero_when_absent=q.zero_when_absent,
        timestamps=tuple(NOW - step * (len(values) - i) for i in range(len(values))),
        values=tuple(values),
    )


def hour(key: str, value: float, recent: float | None = None, minutes: int = 5) -> Series:
    """An hour of `value`, its last `minutes` (or 5-minute periods' share) at `recent`."""
    count = 3600 // QUERY[key].period_s
    values = [value] * count
    if recent is not None:
        last = max(1, minutes * 60 // QUERY[key].period_s)
        values[-last:] = [recent] * last
    return series(key, values)


def metrics(*changed: Series, drop: tuple[str, ...] = ()) -> Metrics:
    found = {k: hour(k, v) for k, v in HEALTHY_MINUTES.items()}
    found["alb_response_time_p95"] = hour("alb_response_time_p95", 0.35)
    for key in ("alb_elb_5xx", "cache_evictions"):
        found[key] = series(key, [])
    found |= {s.key: s for s in changed}
    for key in drop:
        found.pop(key)
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=found)


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


def answer(name: str = "external-api", **fields: object) -> DependencyAnswer:
    values: dict[str, object] = {
        "name": name,
        "url": f"https://{name}.example/health",
        "timeout_s": 5.0,
        "status": 200,
        "elapsed_s": 0.05,
    }
    return DependencyAnswer(**(values | fields))


def deps(*answers: DependencyAnswer) -> Dependencies:
    return Dependencies(configured_in="simulated.toml", answers=answers)


def redis(**fields: object) -> CacheCluster:
    values: dict[str, object] = {
        "cluster": "saaspe-production-redis",
        "status": "available",
        "engine": "redis",
        "engine_version": "7.1",
        "node_type": "cache.t4g.small",
        "nodes": 1,
    }
    return CacheCluster(**(values | fields))


NO_CACHE = SIMULATED.model_copy(update={"cache": None})


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


# -- p95 latency -----------------------------------------------------------------------------


def p95(worst: float) -> None:
    evidence = metrics(hour("alb_response_time_p95", 0.35, worst, minutes=10))
    slow.test_p95_latency_is_low(evidence, THRESHOLDS, FACTS.__setitem__)


@pytest.mark.parametrize("worst", [0.35, 1.9, 2.0])
def test_p95_at_or_below_2s_passes(worst: float) -> None:
    p95(worst)


@pytest.mark.parametrize(
    ("worst", "severity"), [(2.01, "P2"), (5.0, "P2"), (5.01, "P1"), (30.0, "P1")]
)
def test_p95_is_graded_by_the_severity_table(worst: float, severity: str) -> None:
    with pytest.raises(Failure) as failure:
        p95(worst)
    assert failure.value.severity == severity
    assert f"TargetResponseTime p95 reached {worst:.2f} s (the 5 min from 14:50 UTC)" in str(
        failure.value
    )
    assert "median of its 5-minute periods 0.35 s" in str(failure.value)


def test_p95_without_datapoints_is_inconclusive() -> None:
    evidence = metrics(series("alb_response_time_p95", []))
    with pytest.raises(Inconclusive, match="TargetResponseTime p95"):
        slow.test_p95_latency_is_low(evidence, THRESHOLDS, FACTS.__setitem__)


# -- RDS CPU, ECS CPU and memory -------------------------------------------------------------

AVERAGE_CHECKS = [
    (slow.test_rds_cpu_is_not_high, "rds_cpu", "rds_cpu_percent", "RDS saaspe-production"),
    (slow.test_ecs_cpu_is_not_constrained, "ecs_cpu", "ecs_cpu_percent", "CPUUtilization"),
    (slow.test_ecs_memory_is_not_constrained, "ecs_memory", "ecs_memory_percent", "Memory"),
]


@pytest.mark.parametrize(("check", "key", "limit", "_"), AVERAGE_CHECKS)
def test_hour_average_at_the_limit_passes(
    check: Callable[..., None], key: str, limit: str, _: str
) -> None:
    check(metrics(hour(key, getattr(THRESHOLDS, limit))), THRESHOLDS)


@pytest.mark.parametrize(("check", "key", "limit", "named"), AVERAGE_CHECKS)
def test_hour_average_above_the_limit_fails(
    check: Callable[..., None], key: str, limit: str, named: str
) -> None:
    with pytest.raises(AssertionError) as failure:
        check(metrics(hour(key, getattr(THRESHOLDS, limit) + 1)), THRESHOLDS)
    assert named in str(failure.value)
    assert "in each of its last 2 5-minute periods" in str(failure.value)


@pytest.mark.parametrize(("check", "key", "limit", "_"), AVERAGE_CHECKS)
def test_a_burst_of_one_period_is_a_blip(
    check: Callable[..., None], key: str, limit: str, _: str
) -> None:
    check(metrics(hour(key, 30.0, 100.0, minutes=5)), THRESHOLDS)


@pytest.mark.parametrize(("check", "key", "limit", "_"), AVERAGE_CHECKS)
def test_ten_minutes_high_after_a_calm_hour_fails(
    check: Callable[..., None], key: str, limit: str, _: str
) -> None:
    """Judged on the recent periods: the hour's average (45%) would hide it."""
    with pytest.raises(AssertionError, match=r"the hour averaged 45%"):
        check(metrics(hour(key, 35.0, 95.0, minutes=10)), THRESHOLDS)


@pytest.mark.parametrize(("check", "key", "_", "__"), AVERAGE_CHECKS)
def test_hour_average_without_datapoints_is_inconclusive(
    check: Callable[..., None], key: str, _: str, __: str
) -> None:
    with pytest.raises(Inconclusive, match="no datapoints"):
        check(metrics(series(key, [])), THRESHOLDS)


# -- Redis -----------------------------------------------------------------------------------


def test_available_cache_cluster_passes() -> None:
    slow.test_cache_cluster_is_available(redis())


@pytest.mark.parametrize("status", ["rebooting cache cluster nodes", "modifying", "deleting"])
def test_cache_cluster_not_available_fails(status: str) -> None:
    with pytest.raises(AssertionError, match=f"saaspe-production-redis .* is '{status}'"):
        slow.test_cache_cluster_is_available(redis(status=status))


def test_missing_cache_cluster_fails() -> None:
    with pytest.raises(AssertionError, match="saaspe-production-redis does not exist"):
        slow.test_cache_cluster_is_available(redis(exists=False, status=None))


def test_no_evictions_pass() -> None:
    slow.test_cache_evictions_within_limit(metrics(), THRESHOLDS, SIMULATED)


def test_any_eviction_fails_by_default() -> None:
    evidence = metrics(series("cache_evictions", [0.0] * 11 + [1.0]))
    with pytest.raises(AssertionError, match="1 evictions in the last hour \\(at most 0"):
        slow.test_cache_evictions_within_limit(evidence, THRESHOLDS, SIMULATED)


def test_evictions_within_a_configured_limit_pass() -> None:
    evidence = metrics(series("cache_evictions", [5.0] * 12))
    slow.test_cache_evictions_within_limit(evidence, thresholds(cache_max_evictions=60), SIMULATED)


@pytest.mark.parametrize(("hits", "misses"), [(5000.0, 250.0), (4000.0, 1000.0)])
def test_hit_rate_at_or_above_80_percent_passes(hits: float, misses: float) -> None:
    evidence = metrics(hour("cache_hits", hits), hour("cache_misses", misses))
    slow.test_cache_hit_rate_is_high(evidence, THRESHOLDS, SIMULATED)


def test_low_hit_rate_fails() -> None:
    evidence = metrics(hour("cache_hits", 2000.0), hour("cache_misses", 3000.0))
    with pytest.raises(AssertionError, match=r"hit rate 40% over the last hour \(24000 hits"):
        slow.test_cache_hit_rate_is_high(evidence, THRESHOLDS, SIMULATED)


def test_hit_rate_without_lookups_is_inconclusive() -> None:
    evidence = metrics(hour("cache_hits", 0.0), hour("cache_misses", 0.0))
    with pytest.raises(Inconclusive, match="served no lookups"):
        slow.test_cache_hit_rate_is_high(evidence, THRESHOLDS, SIMULATED)


def test_hit_rate_without_hit_datapoints_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match="no datapoints for AWS/ElastiCache CacheHits"):
        slow.test_cache_hit_rate_is_high(metrics(series("cache_hits", [])), THRESHOLDS, SIMULATED)


@pytest.mark.parametrize(
    "check", [slow.test_cache_evictions_within_limit, slow.test_cache_hit_rate_is_high]
)
def test_cache_metrics_without_a_cache_table_are_not_configured(
    check: Callable[..., None],
) -> None:
    evidence = metrics(drop=("cache_hits", "cache_misses", "cache_evictions"))
    with pytest.raises(NotConfigured, match=r"no \[cache\] table in simulated.toml"):
        check(evidence, THRESHOLDS, NO_CACHE)


# -- external APIs are fast ------------------------------------------------------------------


@pytest.mark.parametrize("elapsed", [0.05, 2.0])
def test_fast_dependencies_pass(elapsed: float) -> None:
    slow.test_external_apis_are_fast(deps(answer(elapsed_s=elapsed)), THRESHOLDS)


def test_a_fast_error_is_not_slow() -> None:
    """An API answering 503 at once is scenario 2's failure, not scenario 4's slowness."""
    slow.test_external_apis_are_fast(deps(answer(status=503, elapsed_s=0.01)), THRESHOLDS)


def test_slow_dependency_fails() -> None:
    with pytest.raises(AssertionError) as failure:
        slow.test_external_apis_are_fast(deps(answer(elapsed_s=2.01), answer("b")), THRESHOLDS)
    assert str(failure.value) == (
        "1 external APIs slower than 2 s: external-api GET https://external-api.example/health "
        "answered 200 in 2.01 s"
    )


def test_timed_out_dependency_is_slow() -> None:
    timed_out = answer(status=None, timed_out=True, elapsed_s=5.0, error="no answer within 5 s")
    with pytest.raises(AssertionError, match="no answer within 5 s"):
        slow.test_external_apis_are_fast(deps(timed_out), THRESHOLDS)


def test_unreachable_dependencies_cannot_be_timed() -> None:
    refused = answer(status=None, elapsed_s=0.001, error="could not connect: refused")
    with pytest.raises(Inconclusive, match="none could be timed: external-api: could not"):
        slow.test_external_apis_are_fast(deps(refused), THRESHOLDS)


def test_no_dependencies_to_time_is_inconclusive() -> None:
    with pytest.raises(Inconclusive, match=r"\[app\] dependencies in simulated.toml"):
        slow.test_external_apis_are_fast(deps(), THRESHOLDS)


# -- redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ERROR login failed password=hunter2 user=bob", "password=[REDACTED] user=bob"),
        ("ERROR GET /rates?token=abc123&x=1 failed", "token=[REDACTED]&x=1"),
        ('ERROR {"api_key": "sk-live-1"}', '"api_key": "[REDACTED]"'),
        ("ERROR Authorization: Bearer eyJhbGciOi.x.y rejected", "Bearer [REDACTED] rejected"),
        ("ERROR connect postgres://app:s3cret@db:5432/app", "postgres://app:[REDACTED]@db"),
        ("ERROR refresh failed access_token=s3cret", "access_token=[REDACTED]"),
        ("ERROR env DB_PASSWORD='s3cret' missing", "DB_PASSWORD='[REDACTED]' missing"),
        ("ERROR Authorization: Basic dXNlcjpzM2NyZXQ= refused", "Basic [REDACTED] refused"),
    ],
)
def test_redact_masks_obvious_secrets(line: str, expected: str) -> None:
    redacted = redact(line)
    assert expected in redacted
    for secret in ("hunter2", "abc123", "sk-live-1", "eyJhbGciOi", "s3cret", "dXNlcjpzM2NyZXQ"):
        assert secret not in redacted


def test_redact_leaves_ordinary_lines_alone() -> None:
    line = "ERROR basic validation failed for token refresh: 3 retries"
    assert redact(line) == line


def test_sample_keeps_the_first_line_truncated() -> None:
    line = sample("ERROR " + "x" * 500 + "\n    at stack frame")
    assert len(line) == 200 and line.endswith("…") and "stack" not in line


# -- sources against moto --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


def context(target: Target, url: str, now: datetime = NOW) -> Context:
    aws = ReadOnlySession(
        "us-east-2",
        read_actions(),
        endpoint_url=url,
        credentials=CREDENTIALS,
        max_attempts=1,
        connect_timeout=1,
        read_timeout=2,
    )
    return Context(target=target, aws=aws, http=requests.Session(), now=now)


def with_log_group(group: str) -> Target:
    return SIMULATED.model_copy(
        update={"ecs": SIMULATED.ecs.model_copy(update={"log_group": group})}
    )


def write_lines(url: str, group: str, lines: list[str]) -> None:
    logs = boto3.client("logs", region_name="us-east-2", endpoint_url=url, **CREDENTIALS)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="ecs/backend/1")
    start = int(time.time() * 1000) - 120_000
    logs.put_log_events(
        logGroupName=group,
        logStreamName="ecs/backend/1",
        logEvents=[{"timestamp": start + i * 10, "message": m} for i, m in enumerate(lines)],
    )


def test_log_errors_counts_error_lines_and_redacts_samples(moto_url: str) -> None:
    group = "/ecs/opscheck-tests-few"
    lines = ["INFO ok", "ERROR db password=hunter2 refused", "INFO ok", "ERROR timeout"]
    write_lines(moto_url, group, lines)
    ctx = context(with_log_group(group), moto_url, datetime.now(UTC))
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.exists, found.count, found.capped, found.incomplete) == (True, 2, False, False)
    assert found.samples == ("ERROR db password=[REDACTED] refused", "ERROR timeout")
    assert "hunter2" not in found.model_dump_json()


def test_log_errors_stops_counting_at_the_cap(moto_url: str) -> None:
    group = "/ecs/opscheck-tests-flood"
    write_lines(moto_url, group, [f"ERROR boom {n}" for n in range(1200)])
    ctx = context(with_log_group(group), moto_url, datetime.now(UTC))
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.count, found.capped, found.incomplete, found.pages) == (1000, True, False, 1)
    assert len(found.samples) == logs_source.SAMPLES


def test_log_errors_of_a_missing_group(moto_url: str) -> None:
    ctx = context(with_log_group("/ecs/opscheck-tests-none"), moto_url)
    found = gather(["log_errors"], ctx, deadline_s=20).get("log_errors")
    assert isinstance(found, LogErrors)
    assert (found.exists, found.count) == (False, 0)


def with_cache(cluster: str | None) -> Target:
    cache = SIMULATED.cache.model_copy(update={"cluster": cluster}) if cluster else None
    return SIMULATED.model_copy(update={"cache": cache})


def test_cache_cluster_read_from_elasticache(moto_url: str) -> None:
    name = "opscheck-tests-redis"
    boto3.client(
        "elasticache", region_name="us-east-2", endpoint_url=moto_url, **CREDENTIALS
    ).create_cache_cluster(
        CacheClusterId=name, Engine="redis", CacheNodeType="cache.t4g.small", NumCacheNodes=1
    )
    found = gather(["cache_cluster"], context(with_cache(name), moto_url)).get("cache_cluster")
    assert found == CacheCluster(
        cluster=name,
        status="available",
        engine="redis",
        engine_version=found.engine_version,  # type: ignore[union-attr]
        node_type="cache.t4g.small",
        nodes=1,
    )


def test_missing_cache_cluster_is_evidence(moto_url: str) -> None:
    ctx = context(with_cache("opscheck-tests-no-redis"), moto_url)
    found = gather(["cache_cluster"], ctx).get("cache_cluster")
    assert found == CacheCluster(cluster="opscheck-tests-no-redis", exists=False)


def test_no_cache_table_is_unavailable(moto_url: str) -> None:
    found = gather(["cache_cluster"], context(with_cache(None), moto_url)).get("cache_cluster")
    assert isinstance(found, Unavailable)
    assert "no [cache] table in simulated.toml" in found.reason


# -- sources against HTTP servers on 127.0.0.1 -----------------------------------------------


Routes = Callable[[dict[str, Reply]], LocalServer]
NOT_FOUND = Reply(404, {"detail": "not found"})


@pytest.fixture
def http_server(local_server: StartServer) -> Routes:
    """A local server answering each path with its reply from `routes`, and 404 elsewhere."""
    return lambda routes: local_server(lambda request: routes.get(request.path, NOT_FOUND))


ORG = "o4510247421018112"
EVENTS_PATH = f"/api/0/organizations/{ORG}/events/"
ISSUES_PATH = f"/api/0/organizations/{ORG}/issues/"
ISSUE = {
    "id": "4101",
    "shortId": "SAASPE-BACKEND-7",
    "title": "TypeError: Cannot read properties of undefined (reading 'token=abc')",
    "culprit": "ProposalsController.create",
    "level": "error",
    "status": "unresolved",
    "count": "1532",
    "lastSeen": "2026-11-26T14:59:40Z",
    "permalink": f"https://sentry.io/organizations/{ORG}/issues/4101/",
}


def production(server: LocalServer, monkeypatch: pytest.MonkeyPatch, token: str | None) -> Target:
    """Production's environment file (tokens from the environment), its Sentry on `server`."""
    target = load("production", ROOT)
    if token is None:
        monkeypatch.delenv("SENTRY_AUTH_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    assert target.sentry is not None
    sentry_table = target.sentry.model_copy(update={"api_base": f"{server.url}/api/0"})
    return target.model_copy(update={"sentry": sentry_table})


def read_sentry(target: Target) -> Any:
    return gather(["sentry_issues"], context(target, "http://127.0.0.1:9")).get("sentry_issues")


def test_sentry_counts_events_and_lists_issues(
    http_server: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http_server(
        {
            EVENTS_PATH: Reply(body={"data": [{"count()": 137}], "meta": {"fields": {}}}),
            ISSUES_PATH: Reply(body=[ISSUE] * 11),
        }
    )
    found = read_sentry(production(server, monkeypatch, "sntrys_test_secret"))
    assert isinstance(found, SentryActivity), found
    assert (found.error_events, found.window_minutes, found.more_unresolved) == (137, 5, True)
    assert len(found.unresolved) == 10
    issue = found.unresolved[0]
    assert (issue.short_id, issue.count, issue.level) == ("SAASPE-BACKEND-7", 1532, "error")
    assert "token=[REDACTED]" in issue.title
    assert "sntrys_test_secret" not in found.model_dump_json()
    events, issues = sorted(server.requests, key=lambda r: r.path)
    assert events.headers["Authorization"] == "Bearer sntrys_test_secret"
    assert "field=count%28%29" in events.query and "statsPeriod=5m" in events.query
    assert "query=event.type%3Aerror" in events.query
    assert "query=is%3Aunresolved" in issues.query and "statsPeriod=5m" in issues.query
    # Every project the token can access, not only those its user is a member of.
    assert events.params["project"] == issues.params["project"] == ["-1"]


@pytest.mark.parametrize("status", [401, 403])
def test_sentry_refusing_the_token_names_the_variable_and_scopes(
    http_server: Routes,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    denied = Reply(status, {"detail": "You do not have permission to perform this action."})
    server = http_server({EVENTS_PATH: denied, ISSUES_PATH: denied})
    found = read_sentry(production(server, monkeypatch, "sntrys_test_secret"))
    assert isinstance(found, Unavailable)
    assert f"answered {status}" in found.reason
    assert "SENTRY_AUTH_TOKEN" in found.reason and "org:read and event:read" in found.reason
    assert "sntrys_test_secret" not in found.reason


def test_sentry_without_a_token_says_which_variable_to_set(
    http_server: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http_server({})
    found = read_sentry(production(server, monkeypatch, None))
    assert isinstance(found, Unavailable)
    assert "no Sentry token: set SENTRY_AUTH_TOKEN" in found.reason
    assert server.requests == []


def test_sentry_without_a_sentry_table_is_unavailable() -> None:
    found = read_sentry(SIMULATED.model_copy(update={"sentry": None}))
    assert isinstance(found, Unavailable) and found.not_configured
    assert "no [sentry] table in simulated.toml" in found.reason


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"detail": "Internal Error"}), "answered 500"),
        (Reply(429, {"detail": "slow down"}), "429: rate limited"),
        (Reply(200, "<html>login</html>"), "did not answer JSON"),
        (Reply(200, {"unexpected": True}), "no 'data' rows"),
        (
            Reply(200, {"data": [], "meta": {"tips": {"query": "no projects"}}}),
            "the token in SENTRY_AUTH_TOKEN can see no project of the organization",
        ),
        (Reply(200, {"data": [{"count": 500}]}), "a row without an integer count()"),
        (Reply(200, {"data": [{"count()": "500"}]}), "a row without an integer count()"),
        (
            Reply(404, {"detail": "The requested resource does not exist"}),
            "[sentry] org must be the organization slug from its Sentry URL",
        ),
    ],
    ids=["500", "429", "not-json", "no-data", "no-projects", "drifted-field", "string", "404"],
)
def test_sentry_answers_that_cannot_be_read(
    http_server: Routes,
    monkeypatch: pytest.MonkeyPatch,
    reply: Reply,
    expected: str,
) -> None:
    server = http_server({EVENTS_PATH: reply, ISSUES_PATH: Reply(body=[])})
    found = read_sentry(production(server, monkeypatch, "t"))
    assert isinstance(found, Unavailable)
    assert expected in found.reason


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dependencies_are_timed_with_status_and_errors(
    http_server: Routes,
) -> None:
    server = http_server(
        {
            "/ok": Reply(body={"status": "ok"}),
            "/down": Reply(503, "Service Unavailable"),
            "/slow": Reply(body={"status": "ok"}, delay_s=5),
        }
    )
    app = SIMULATED.app.model_copy(
        update={
            "health_timeout_s": 0.5,
            "dependencies": {
                "ok": f"{server.url}/ok",
                "down": f"{server.url}/down",
                "slow": f"{server.url}/slow",
                "gone": f"http://127.0.0.1:{unused_port()}/health",
            },
        }
    )
    found = gather(["dependencies"], context(SIMULATED.model_copy(update={"app": app}), "x")).get(
        "dependencies"
    )
    assert isinstance(found, Dependencies)
    by_name = {a.name: a for a in found.answers}
    assert [a.name for a in found.answers] == ["down", "gone", "ok", "slow"]
    assert (by_name["ok"].status, by_name["ok"].ok) == (200, True)
    assert (by_name["down"].status, by_name["down"].ok) == (503, False)
    assert by_name["slow"].timed_out and by_name["slow"].status is None
    assert by_name["slow"].error == "no answer within 0.5 s (ReadTimeout)"
    assert by_name["slow"].elapsed_s is not None and by_name["slow"].elapsed_s >= 0.5
    assert by_name["gone"].status is None and not by_name["gone"].timed_out
    assert by_name["gone"].error
    assert by_name["ok"].elapsed_s is not None and by_name["ok"].elapsed_s < 0.5


def test_no_dependencies_is_not_configured_not_unseen() -> None:
    """A team without external APIs has left nothing unchecked: its check is skipped."""
    app = SIMULATED.app.model_copy(update={"dependencies": {}})
    target = SIMULATED.model_copy(update={"app": app})
    found = gather(["dependencies"], context(target, "x")).get("dependencies")
    assert isinstance(found, Unavailable) and found.not_configured
    assert found.reason.startswith("no [app] dependencies in simulated.toml: add the external")


def test_log_search_cut_short_is_incomplete(local_server: StartServer) -> None:
    """FilterLogEvents may answer pages of few events, each with a nextToken: counting stops."""
    page = {
        "events": [{"message": "ERROR one", "timestamp": int(NOW.timestamp() * 1000)}],
        "nextToken": "more",
    }
    reply = Reply(
        body=page, content_type="application/x-amz-json-1.1", headers={"x-amzn-RequestId": "r-1"}
    )
    server = local_server(lambda request: reply)
    found = gather(["log_errors"], context(SIMULATED, server.url), deadline_s=20).get("log_errors")
    calls = [r.json() for r in server.requests]
    pages = logs_source.MAX_PAGES
    assert isinstance(found, LogErrors)
    assert (found.count, found.capped, found.incomplete, found.pages) == (pages, False, True, pages)
    assert len(calls) == pages
    assert (
        calls[0]["filterPattern"] == "ERROR"
        and calls[0]["logGroupName"] == "/ecs/saaspe-production"
    )
    assert calls[0]["startTime"] == int((NOW - timedelta(minutes=5)).timestamp() * 1000)
    assert "nextToken" not in calls[0] and calls[1]["nextToken"] == "more"


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
