"""Runbook scenario 4, "Slow Performance (P2)": are responses slow, and if so, why.

The symptom checks read the ALB's p95 response time (the runbook's "P95 latency >2
seconds"; the severity table's "slow response (>5s)" is P1) and the response-time alarm.
The cause checks follow the runbook's list: the database's CPU, an external API, the
tasks' CPU and memory, and Redis. Each reads the hour the runbook's diagnosis reads.
"""

from datetime import timedelta

import pytest

from opscheck import fail, inconclusive
from opscheck.evidence.metrics import series_fact
from opscheck.evidence.rdslogs import MAX_SLOW
from opscheck.outcomes import NotConfigured
from opscheck.verdicts import not_firing, read_the_whole_log, window

pytestmark = pytest.mark.runbook("slow-performance")

HOUR = 60


@pytest.mark.health
@pytest.mark.runbook("slow-performance", severity=("P1", "P2"))
def test_p95_latency_is_low(metrics, thresholds, fact):
    """'P95 latency >2 seconds' (P2); the severity table's 'slow response (>5s)' is P1.

    Graded on the worst 5-minute p95 of the hour the runbook's diagnosis reads: percentiles
    of different periods cannot be averaged into the hour's p95, and a slow period within
    the hour is still inside the P2 response time (< 2 hours). Only periods with enough
    requests are graded: the p95 of a quiet period of three requests is one slow request.
    """
    values = window(metrics, "alb_response_time_p95", HOUR)
    fact("series", series_fact(values))
    series = metrics.series["alb_response_time_p95"]
    periods = list(zip(series.timestamps[-len(values) :], values, strict=True))
    busy = [
        (at, v)
        for at, v in periods
        if _requests(metrics, at, series.period_s) >= thresholds.p95_min_requests
    ]
    if not busy:
        return  # too few requests in every period for a p95 to say anything
    at, worst = max(busy, key=lambda pair: pair[1])
    when = f" (the 5 min from {at:%H:%M} UTC)"
    message = (
        f"{series.dimensions.get('LoadBalancer')}: TargetResponseTime p95 reached {worst:.2f} s"
        f"{when} in the last hour, median of its 5-minute periods "
        f"{sorted(values)[len(values) // 2]:.2f} s; P1 above {thresholds.p95_latency_p1_s:g} s, "
        f"P2 above {thresholds.p95_latency_p2_s:g} s"
    )
    if worst > thresholds.p95_latency_p1_s:
        fail(message, "P1")
    if worst > thresholds.p95_latency_p2_s:
        fail(message, "P2")


def _requests(metrics, start, period_s):
    """The ALB's requests in the period from `start` (RequestCount is per minute)."""
    requests = metrics.series.get("alb_requests")
    if requests is None:
        return float("inf")  # nothing says the period was quiet: grade it
    return sum(requests.between(start, start + timedelta(seconds=period_s)))


@pytest.mark.health
def test_response_time_alarm_is_not_firing(alarms, target):
    """The runbook's first symptom: CloudWatch alarm `...-alb-high-response-time`."""
    not_firing(alarms, target.alarms.alb_high_response_time)


RECENT_MINUTES = 15  # during an incident the recent minutes matter; the hour is the baseline
SUSTAINED_PERIODS = 2  # a load is high when each of its last two 5-minute periods is


def _load_is_high(metrics, key, limit, what, advice):
    """Fail when the load was above `limit` in each of its last SUSTAINED_PERIODS periods.

    Judged on the recent 5-minute averages, not the hour's: 95% for the last ten minutes
    after a calm hour is high now. One period alone is a blip, not a constraint.
    """
    recent = window(metrics, key, RECENT_MINUTES)[-SUSTAINED_PERIODS:]
    hour = window(metrics, key, HOUR)
    if all(v > limit for v in recent):
        shown = ", ".join(f"{v:.0f}%" for v in recent)
        raise AssertionError(
            f"{what} above {limit:g}% in each of its last {len(recent)} 5-minute periods "
            f"({shown}; the hour averaged {sum(hour) / len(hour):.0f}%, at most {limit:g}% "
            f"expected): {advice}"
        )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="unoptimized-database-query")
def test_rds_cpu_is_not_high(metrics, thresholds):
    """'If database slow: Check RDS CPU', the runbook's command, on its recent periods.

    A slow query shows first as the database's CPU; which query it is, Sentry or the logs say.
    """
    name = metrics.series["rds_cpu"].dimensions["DBInstanceIdentifier"]
    _load_is_high(
        metrics,
        "rds_cpu",
        thresholds.rds_cpu_percent,
        f"RDS {name}: CPUUtilization",
        "look for slow queries",
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="unoptimized-database-query")
def test_no_slow_statements_in_the_rds_log(rds_logs, thresholds, commands):
    """'Check database slow queries' (`aws rds describe-db-log-files`): the statements
    PostgreSQL logged slower than thresholds.rds_slow_statement_ms in the last hour.

    PostgreSQL logs a statement's duration only above its `log_min_duration_statement`,
    which RDS leaves at -1 (off): then the team chose not to log them, and the check is
    not configured, unless a database or role setting logs them anyway (lines are read
    whatever the group says). A group logging only statements slower than the threshold
    leaves the ones between unseen: inconclusive, not a pass.
    """
    limit = thresholds.rds_slow_statement_ms
    slow = rds_logs.slower_than(limit)
    if slow:
        worst = slow[0]
        kept = f" ({MAX_SLOW} slowest kept)" if len(rds_logs.slow) == MAX_SLOW else ""
        fail(
            f"{len(slow)} statements slower than {limit:g} ms in DB instance "
            f"{rds_logs.instance}'s log in the last {rds_logs.window_minutes} min{kept}; "
            f"slowest {worst.duration_ms:,.0f} ms at {worst.at:%H:%M} UTC by {worst.who or '?'}: "
            f"{worst.statement}; {commands.rds_log(rds_logs.instance, worst.file)}",
            "P2",
        )
    if rds_logs.slow_log_ms is None and not rds_logs.slow_count:
        raise NotConfigured(
            f"log_min_duration_statement is off (-1) in DB instance {rds_logs.instance}'s "
            f"parameter group {rds_logs.parameter_group or '(default)'}: PostgreSQL logs no "
            f"statement durations; set it (e.g. {limit:g}) in a custom group to have them checked"
        )
    if rds_logs.slow_log_ms is not None and rds_logs.slow_log_ms > limit:
        inconclusive(
            f"log_min_duration_statement is {rds_logs.slow_log_ms:g} ms in parameter group "
            f"{rds_logs.parameter_group}, above thresholds.rds_slow_statement_ms ({limit:g} ms): "
            "statements between the two are not logged"
        )
    read_the_whole_log(rds_logs, f"logged a statement slower than {limit:g} ms")


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="resource-constraints")
def test_ecs_cpu_is_not_constrained(metrics, thresholds):
    """'Resource constraints (CPU/Memory)': the service's CPU, on its recent periods."""
    name = metrics.series["ecs_cpu"].dimensions["ServiceName"]
    _load_is_high(
        metrics,
        "ecs_cpu",
        thresholds.ecs_cpu_percent,
        f"ECS service {name}: CPUUtilization",
        "scale the service up",
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="resource-constraints")
def test_ecs_memory_is_not_constrained(metrics, thresholds):
    """'Resource constraints (CPU/Memory)': the service's memory, on its recent periods."""
    name = metrics.series["ecs_memory"].dimensions["ServiceName"]
    _load_is_high(
        metrics,
        "ecs_memory",
        thresholds.ecs_memory_percent,
        f"ECS service {name}: MemoryUtilization",
        "scale the service up or give its tasks more memory",
    )


def _needs_cache(target):
    if target.cache is None:
        raise NotConfigured(
            f"no [cache] table in {target.path.name}: add one with the Redis cluster id "
            "to check the cache"
        )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="cache-miss")
def test_cache_cluster_is_available(cache_cluster):
    """'Cache miss (Redis issue)': a Redis cluster that is not `available` serves no hits."""
    c = cache_cluster
    assert c.exists, f"ElastiCache cluster {c.cluster} does not exist (is [cache] cluster right?)"
    assert c.status == "available", (
        f"ElastiCache cluster {c.cluster} ({c.engine} {c.engine_version or ''}, "
        f"{c.nodes} x {c.node_type}) is '{c.status}', expected 'available'"
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="cache-miss")
def test_cache_evictions_within_limit(metrics, thresholds, target):
    """Evictions: Redis is out of memory and drops keys, which come back as misses."""
    _needs_cache(target)
    evictions = sum(window(metrics, "cache_evictions", HOUR))
    assert evictions <= thresholds.cache_max_evictions, (
        f"ElastiCache cluster {target.cache.cluster}: {evictions:.0f} evictions in the last "
        f"hour (at most {thresholds.cache_max_evictions} expected): the cache is full"
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="cache-miss")
def test_cache_hit_rate_is_high(metrics, thresholds, target):
    """'Cache miss (Redis issue)': the hour's hits / (hits + misses)."""
    _needs_cache(target)
    hits = sum(window(metrics, "cache_hits", HOUR))
    misses = sum(window(metrics, "cache_misses", HOUR))
    if hits + misses <= 0:
        inconclusive(
            f"ElastiCache cluster {target.cache.cluster} served no lookups in the last hour: "
            "no hit rate to compute"
        )
    rate = hits / (hits + misses)
    assert rate >= thresholds.cache_min_hit_rate, (
        f"ElastiCache cluster {target.cache.cluster}: hit rate {rate:.0%} over the last hour "
        f"({hits:.0f} hits, {misses:.0f} misses; at least {thresholds.cache_min_hit_rate:.0%} "
        "expected)"
    )


@pytest.mark.health
@pytest.mark.runbook("slow-performance", cause="external-api-slow")
def test_external_apis_are_fast(dependencies, thresholds):
    """'External API slow': each dependency answers within `dependency_slow_s`.

    A dependency that timed out is slow too; one that refused the connection has no speed
    to grade (the external-API failure check of scenario 2 reports it).
    """
    if not dependencies.answers:
        inconclusive(
            f"no external APIs to time: add their health URLs to [app] dependencies in "
            f"{dependencies.configured_in}"
        )
    timed = [d for d in dependencies.answers if d.status is not None or d.timed_out]
    if not timed:
        reasons = "; ".join(f"{d.name}: {d.error}" for d in dependencies.answers)
        inconclusive(f"no external API answered, so none could be timed: {reasons}")
    limit = thresholds.dependency_slow_s
    slow = [d for d in timed if d.timed_out or (d.elapsed_s or 0) > limit]
    detail = "; ".join(
        f"{d.name} GET {d.url} " + (d.error or f"answered {d.status} in {d.elapsed_s:.2f} s")
        for d in slow
    )
    assert not slow, f"{len(slow)} external APIs slower than {limit:g} s: {detail}"
