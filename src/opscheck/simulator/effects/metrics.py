"""CloudWatch metrics: the hour of datapoints behind every series the checks read
(evidence: `metrics`).

The healthy world has a steady hour of each series; a fault overwrites the last minutes
of some of them. Nothing is written until every fault is staged (moto cannot delete a
datapoint), then one value per minute is published per series. moto computes no
percentiles, so `p95` and friends are computed here, in the simulator's process.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from moto.cloudwatch.models import Statistics, cloudwatch_backends

from opscheck.evidence.metrics import PUBLISH_DELAY, QUERIES, WINDOW_MINUTES
from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, finish, seed
from opscheck.simulator.world import ACCOUNT, World

GIB = 1024**3
HEALTHY = {
    "alb_requests": 1200.0,
    "alb_target_5xx": 2.0,
    "alb_response_time_p95": 0.35,
    "rds_cpu": 22.0,
    "rds_free_storage": 35.0 * GIB,
    "rds_connections": 40.0,
    "ecs_cpu": 35.0,
    "ecs_memory": 55.0,
    "cache_hits": 5000.0,
    "cache_misses": 250.0,
    "cache_evictions": 0.0,  # published as zero, as ElastiCache does
}
_moto_statistic = Statistics.get_statistics_for_type


def _statistic(stats: Statistics, stat: str) -> Any:
    percentile = re.fullmatch(r"p(\d+(?:\.\d+)?)", stat)
    if not percentile:
        return _moto_statistic(stats, stat)
    values = sorted(stats.metric_single_values_list)
    if not values:
        return None
    rank = math.ceil(float(percentile[1]) / 100 * len(values))  # nearest rank
    return values[max(rank, 1) - 1]


Statistics.get_statistics_for_type = _statistic  # type: ignore[method-assign]


@seed("metrics")
def steady_hour(world: World) -> None:
    for key, value in HEALTHY.items():
        world.series[key] = [value] * WINDOW_MINUTES


class SeriesChange(Change):
    value: float | None = None
    """The value of each of those minutes; left out: no datapoints at all."""
    minutes: int = 5
    """How many of the hour's last minutes take that value."""


class MetricsChange(Change):
    """One table per series to change, named like a series the metrics evidence reads."""

    model_config = Change.model_config | {"extra": "allow"}
    ENTRY: ClassVar[type[Change]] = SeriesChange  # what each series' table holds

    def changes(self) -> dict[str, SeriesChange]:
        return {k: SeriesChange.model_validate(v) for k, v in (self.model_extra or {}).items()}


@effect("metrics", MetricsChange)
def change_metrics(world: World, change: MetricsChange, fault: Fault) -> None:
    known = {q.key for q in QUERIES}
    for key, series in change.changes().items():
        if key not in known:
            raise ValueError(
                f"fault '{fault.name}': unknown metric '{key}' ({', '.join(sorted(known))})"
            )
        values = world.series.setdefault(key, [None] * WINDOW_MINUTES)
        values[-series.minutes :] = [series.value] * series.minutes


@finish
def publish(world: World) -> None:
    lb = world.load_balancer_dimension
    tg = world.target_group_arn.rpartition(":")[2] or None
    queries = {q.key: q for q in QUERIES}
    # What CloudWatch holds now: the minutes up to its publishing delay ago, so a fault's
    # last minutes are the newest a reader can see. Naive UTC, as moto's backend keeps times.
    now = (datetime.now(UTC) - PUBLISH_DELAY).replace(second=0, microsecond=0, tzinfo=None)
    data: dict[str, list[dict[str, Any]]] = {}
    for key, values in world.series.items():
        q = queries[key]
        dims = q.dimensions(world.target, lb, tg)
        if dims is None:
            continue
        # One minute more, a copy of the last: a read that starts in the next minute still
        # finds the fault's last minutes whole, as CloudWatch would have them by then.
        for minute, value in enumerate([*values, values[-1]]):
            if value is None:
                continue
            data.setdefault(q.namespace, []).append(
                {
                    "MetricName": q.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    "Timestamp": now - timedelta(minutes=WINDOW_MINUTES - minute - 0.5),
                    "Value": value,
                }
            )
    # Put on moto's backend as PutMetricData stores them: over HTTP the fork of every run
    # paid a quarter of a second for them.
    backend = cloudwatch_backends[ACCOUNT][world.target.aws.region]
    for namespace, datums in data.items():
        backend.put_metric_data(namespace, datums)
