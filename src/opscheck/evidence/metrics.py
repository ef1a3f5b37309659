"""Evidence from CloudWatch metrics: every series the checks read, in one GetMetricData call.

The series are fetched for the last hour at a period per metric; checks narrow them to
the window the runbook speaks of ("in the last 5 minutes", "over the last hour"). A
series with no datapoints is not zero: a check that needs it is inconclusive. The ALB's
5xx counts are the exception: CloudWatch publishes them only when they are not zero.

Only whole periods count. CloudWatch rounds StartTime down to the minute and publishes a
minute's datapoint one to three minutes late, so the newest minutes are partial: the hour
ends PUBLISH_DELAY before now, its start is aligned to the longest period, and a period
that does not end by then is left out rather than read as a quiet one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from opscheck.evidence.base import Context, Model, source
from opscheck.evidence.elb import target_group
from opscheck.target import Target

WINDOW_MINUTES = 60
PUBLISH_DELAY = timedelta(minutes=3)  # CloudWatch's newest datapoints arrive 1-3 min late
# (target, load balancer dimension, target group dimension or None) -> the query's dimensions
Dimensions = Callable[[Target, str, "str | None"], dict[str, str] | None]


def _alb(target: Target, lb: str, tg: str | None) -> dict[str, str]:
    """What only the load balancer counts: its own 5xx answers, for every target group."""
    return {"LoadBalancer": lb}


def _service(target: Target, lb: str, tg: str | None) -> dict[str, str]:
    """The service's own target group on the load balancer, so the other target groups of a
    shared ALB neither dilute nor inflate its numbers; the whole ALB when there is none."""
    return {"TargetGroup": tg, "LoadBalancer": lb} if tg else {"LoadBalancer": lb}


def _rds(target: Target, lb: str, tg: str | None) -> dict[str, str]:
    return {"DBInstanceIdentifier": target.rds.instance}


def _ecs(target: Target, lb: str, tg: str | None) -> dict[str, str]:
    return {"ClusterName": target.ecs.cluster, "ServiceName": target.ecs.service}


def _cache(target: Target, lb: str, tg: str | None) -> dict[str, str] | None:
    return {"CacheClusterId": target.cache.cluster} if target.cache else None


@dataclass(frozen=True)
class Query:
    key: str
    namespace: str
    metric: str
    stat: str
    period_s: int
    dimensions: Dimensions
    zero_when_absent: bool = False


QUERIES = (
    Query("alb_requests", "AWS/ApplicationELB", "RequestCount", "Sum", 60, _service),
    Query(
        "alb_target_5xx",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        60,
        _service,
        True,
    ),
    Query("alb_elb_5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", 60, _alb, True),
    # RequestCount counts only requests for which a target was chosen: the 503s the load
    # balancer answers itself when no target is healthy are not in it.
    Query("alb_elb_503", "AWS/ApplicationELB", "HTTPCode_ELB_503_Count", "Sum", 60, _alb, True),
    Query(
        "alb_response_time_p95", "AWS/ApplicationELB", "TargetResponseTime", "p95", 300, _service
    ),
    Query("rds_cpu", "AWS/RDS", "CPUUtilization", "Average", 300, _rds),
    Query("rds_free_storage", "AWS/RDS", "FreeStorageSpace", "Minimum", 300, _rds),
    Query("rds_connections", "AWS/RDS", "DatabaseConnections", "Maximum", 60, _rds),
    Query("ecs_cpu", "AWS/ECS", "CPUUtilization", "Average", 300, _ecs),
    Query("ecs_memory", "AWS/ECS", "MemoryUtilization", "Average", 300, _ecs),
    # ElastiCache publishes every node's metrics every minute, zeros included: no datapoint
    # means the query matched no node (a wrong cluster id), never a count of zero.
    Query("cache_evictions", "AWS/ElastiCache", "Evictions", "Sum", 300, _cache),
    Query("cache_hits", "AWS/ElastiCache", "CacheHits", "Sum", 300, _cache),
    Query("cache_misses", "AWS/ElastiCache", "CacheMisses", "Sum", 300, _cache),
)


class Series(Model):
    key: str
    namespace: str
    metric: str
    stat: str
    period_s: int
    dimensions: dict[str, str]
    zero_when_absent: bool = False
    timestamps: tuple[datetime, ...] = ()  # ascending
    values: tuple[float, ...] = ()

    @property
    def name(self) -> str:
        dims = ", ".join(f"{k}={v}" for k, v in self.dimensions.items())
        return f"{self.namespace} {self.metric} {self.stat} ({dims})"

    def last(self, minutes: float, now: datetime) -> tuple[float, ...]:
        """The values of the last `minutes` (by the start of each period)."""
        return self.between(now - timedelta(minutes=minutes))

    def between(self, since: datetime, until: datetime | None = None) -> tuple[float, ...]:
        """The values of the periods starting at or after `since` and before `until`."""
        pairs = zip(self.timestamps, self.values, strict=True)
        return tuple(v for t, v in pairs if since <= t and (until is None or t < until))


ERROR_RATE_SERIES = ("alb_requests", "alb_target_5xx", "alb_elb_5xx")


@dataclass(frozen=True)
class ErrorRate:
    """The ALB's requests over a span, and those answered 5xx: by the targets, and by the
    load balancer itself (a 502/503/504 when no target answers)."""

    requests: float
    target_5xx: float
    elb_5xx: float
    elb_503: float = 0.0  # of elb_5xx, those no target was chosen for: not in `requests`

    @property
    def responses(self) -> float:
        """Every answer the load balancer gave: counted requests and its own 503s."""
        return self.requests + self.elb_503

    @property
    def share(self) -> float | None:
        """The share of all answers that were 5xx; None when the load balancer gave none.

        Every request refused with a 503 (no healthy target) is a share of 100%, not a
        division by no requests.
        """
        if self.responses <= 0:
            return None
        return min((self.target_5xx + self.elb_5xx) / self.responses, 1.0)


class Metrics(Model):
    start: datetime
    end: datetime
    series: dict[str, Series]

    def last(self, key: str, minutes: float) -> tuple[float, ...]:
        """The values of series `key` in the last `minutes` up to `end`; () when there are none.

        A series CloudWatch publishes only when it is not zero reads as (0.0,) instead: there,
        no datapoint means a count of zero, not a gap.
        """
        series = self.series[key]
        values = series.last(minutes, self.end)
        return values or ((0.0,) if series.zero_when_absent else ())

    def error_rate(self, since: datetime, until: datetime | None = None) -> ErrorRate:
        """The ALB's requests and 5xx answers of the periods from `since` until `until`."""
        requests, target_5xx, elb_5xx = (
            sum(self.series[key].between(since, until)) for key in ERROR_RATE_SERIES
        )
        refused = self.series.get("alb_elb_503")  # absent from evidence saved before it was read
        elb_503 = sum(refused.between(since, until)) if refused else 0.0
        return ErrorRate(requests=requests, target_5xx=target_5xx, elb_5xx=elb_5xx, elb_503=elb_503)


def whole_periods(now: datetime) -> tuple[datetime, datetime]:
    """The hour to ask for: ending PUBLISH_DELAY before now on a minute, starting on a
    multiple of the longest period, so every period asked for is one CloudWatch aggregates."""
    end = (now - PUBLISH_DELAY).replace(second=0, microsecond=0)
    longest = max(q.period_s for q in QUERIES)
    start = end - timedelta(minutes=WINDOW_MINUTES)
    start -= timedelta(seconds=int(start.timestamp()) % longest)
    return start, end


def series_fact(values: tuple[float, ...]) -> str:
    """A series as a check's fact `series`, which reports draw as a sparkline."""
    return ",".join(f"{v:.4g}" for v in values)


def target_group_dimension(ctx: Context) -> str | None:
    """The service's target group as CloudWatch names it ("targetgroup/NAME/ID"), from the
    DescribeTargetGroups its health is read with; None when it does not exist."""
    group = target_group(ctx)
    return group["TargetGroupArn"].rpartition(":")[2] if group else None


def load_balancer_dimension(ctx: Context) -> str:
    """The ALB's CloudWatch dimension: from the environment file, else from the load balancer
    its target group names (the same call), else from the ALB itself."""
    if ctx.target.alb.dimension:
        return ctx.target.alb.dimension
    group = target_group(ctx) or {}
    for arn in group.get("LoadBalancerArns", []):
        if f"/app/{ctx.target.alb.name}/" in arn:
            return str(arn.split(":loadbalancer/")[1])

    def read() -> str:
        elb = ctx.aws.client("elbv2")
        arn = elb.describe_load_balancers(Names=[ctx.target.alb.name])["LoadBalancers"][0]
        return arn["LoadBalancerArn"].split(":loadbalancer/")[1]

    return ctx.once("elasticloadbalancing:DescribeLoadBalancers", read)


@source(
    "metrics",
    actions=(
        "cloudwatch:GetMetricData",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeLoadBalancers",
    ),
)
def metrics(ctx: Context) -> Metrics:
    """The last hour of every metric the checks grade: ALB, RDS, ECS and cache, in one call."""
    lb, tg = load_balancer_dimension(ctx), target_group_dimension(ctx)
    wanted = {q.key: (q, q.dimensions(ctx.target, lb, tg)) for q in QUERIES}
    wanted = {k: (q, d) for k, (q, d) in wanted.items() if d is not None}
    start, end = whole_periods(ctx.now)
    queries = [
        {
            "Id": key,
            "MetricStat": {
                "Metric": {
                    "Namespace": q.namespace,
                    "MetricName": q.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                },
                "Period": q.period_s,
                "Stat": q.stat,
            },
        }
        for key, (q, dims) in wanted.items()
    ]
    found: dict[str, tuple[list[datetime], list[float]]] = {k: ([], []) for k in wanted}
    pages = ctx.aws.client("cloudwatch").get_paginator("get_metric_data")
    for page in pages.paginate(
        MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
    ):
        for result in page["MetricDataResults"]:
            found[result["Id"]][0].extend(result["Timestamps"])
            found[result["Id"]][1].extend(result["Values"])
    series = {}
    for key, (q, dims) in wanted.items():
        pairs = [
            (t, v)
            for t, v in sorted(zip(*found[key], strict=True))
            if t + timedelta(seconds=q.period_s) <= end  # a period not over is not read
        ]
        series[key] = Series(
            key=key,
            namespace=q.namespace,
            metric=q.metric,
            stat=q.stat,
            period_s=q.period_s,
            dimensions=dims,
            zero_when_absent=q.zero_when_absent,
            timestamps=tuple(t for t, _ in pairs),
            values=tuple(float(v) for _, v in pairs),
        )
    return Metrics(start=start, end=end, series=series)
