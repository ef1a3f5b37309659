"""Scenario 4 (slow performance): its checks on hand-built evidence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from opscheck.evidence.cache import CacheCluster
from opscheck.outcomes import Failure, Inconclusive, NotConfigured
from tests.checks.helpers import FACTS, answer, deps, hour, metrics, series
from tests.helpers import SIMULATED, THRESHOLDS, load_checks, thresholds

HEALTHY_MINUTES = {
    "alb_requests": 1200.0,
    "alb_target_5xx": 2.0,
    "rds_cpu": 22.0,
    "ecs_cpu": 35.0,
    "ecs_memory": 55.0,
    "cache_hits": 5000.0,
    "cache_misses": 250.0,
}

slow = load_checks("test_slow_performance")


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


def test_evictions_without_datapoints_are_inconclusive_not_zero() -> None:
    """ElastiCache publishes every node's Evictions every minute, zeros included: none at all
    means the query matched no node."""
    with pytest.raises(Inconclusive, match="no datapoints for AWS/ElastiCache Evictions"):
        slow.test_cache_evictions_within_limit(
            metrics(series("cache_evictions", [])), THRESHOLDS, SIMULATED
        )


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
