"""A quiet period must not raise a P1: a p95 is graded only where there were requests enough."""

from __future__ import annotations

from datetime import timedelta

import pytest

from opscheck.evidence.metrics import Metrics
from opscheck.outcomes import Failure
from tests.checks.helpers import series
from tests.helpers import NOW, THRESHOLDS, load_checks

SLOW = load_checks("test_slow_performance")


def evidence(p95_last: float, requests_per_minute_last: float) -> Metrics:
    """An hour of 0.3 s p95 at 1,200 requests a minute; the last 10 minutes changed."""
    p95 = [0.3] * 10 + [p95_last] * 2
    requests = [1200.0] * 50 + [requests_per_minute_last] * 10
    found = {"alb_response_time_p95": series("alb_response_time_p95", p95)}
    found["alb_requests"] = series("alb_requests", requests)
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=found)


def test_a_slow_quiet_period_is_not_graded() -> None:
    """Two requests a minute: the p95 of ten requests is one slow request, not an outage."""
    SLOW.test_p95_latency_is_low(evidence(6.0, 2.0), THRESHOLDS, lambda *a: None)


def test_a_slow_busy_period_is_p1() -> None:
    with pytest.raises(Failure) as failed:
        SLOW.test_p95_latency_is_low(evidence(6.0, 900.0), THRESHOLDS, lambda *a: None)
    assert failed.value.severity == "P1"
