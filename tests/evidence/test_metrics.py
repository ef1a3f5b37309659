"""The metrics model: error rates and counts from CloudWatch series."""

from __future__ import annotations

from datetime import timedelta

from opscheck.evidence.metrics import ErrorRate, Metrics, Series
from tests.helpers import NOW


def _counts(key: str, values: list[float], zero_when_absent: bool = False) -> Series:
    minutes = range(len(values))
    return Series(
        key=key,
        namespace="AWS/ApplicationELB",
        metric=key,
        stat="Sum",
        period_s=60,
        dimensions={"LoadBalancer": "app/lb/1"},
        zero_when_absent=zero_when_absent,
        timestamps=tuple(NOW - timedelta(minutes=len(values) - m) for m in minutes),
        values=tuple(values),
    )


def _alb(requests: list[float], target_5xx: list[float], elb_5xx: list[float]) -> Metrics:
    found = {
        "alb_requests": _counts("alb_requests", requests),
        "alb_target_5xx": _counts("alb_target_5xx", target_5xx, zero_when_absent=True),
        "alb_elb_5xx": _counts("alb_elb_5xx", elb_5xx, zero_when_absent=True),
    }
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=found)


def test_error_rate_counts_target_and_load_balancer_5xx() -> None:
    metrics = _alb([100, 100, 100, 100], [0, 0, 6, 4], [0, 0, 0, 10])
    last_two = metrics.error_rate(NOW - timedelta(minutes=2))
    assert last_two == ErrorRate(requests=200, target_5xx=10, elb_5xx=10)
    assert last_two.share == 0.1
    # `until` leaves out the periods that start at or after it.
    assert metrics.error_rate(metrics.start, NOW - timedelta(minutes=2)).share == 0.0


def test_error_rate_without_requests_has_no_share() -> None:
    assert _alb([0, 0], [0, 0], [0, 0]).error_rate(NOW - timedelta(minutes=5)).share is None
    assert ErrorRate(requests=0, target_5xx=3, elb_5xx=0).share is None


def test_counts_published_only_when_not_zero_read_as_zero_when_absent() -> None:
    metrics = _alb([100], [], [])
    assert metrics.last("alb_target_5xx", 5) == (0.0,)
    assert metrics.last("alb_requests", 5) == (100.0,)
    quiet = _alb([], [], [])
    assert quiet.last("alb_requests", 5) == ()
