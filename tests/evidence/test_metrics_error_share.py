"""The 5xx share as the load balancer sees it: its own 503s are not in RequestCount."""

from __future__ import annotations

import pytest

from opscheck.evidence.metrics import ErrorRate


def test_every_request_refused_is_all_errors_not_no_data() -> None:
    """No healthy target: the ALB answers 503 itself and counts no request."""
    refused = ErrorRate(requests=0, target_5xx=0, elb_5xx=600, elb_503=600)
    assert refused.share == 1.0


def test_refusals_count_in_the_share_of_all_answers() -> None:
    partly = ErrorRate(requests=900, target_5xx=0, elb_5xx=100, elb_503=100)
    assert partly.share == pytest.approx(0.10)


def test_a_502_from_a_chosen_target_is_already_a_request() -> None:
    gateway = ErrorRate(requests=1000, target_5xx=0, elb_5xx=50, elb_503=0)
    assert gateway.share == pytest.approx(0.05)


def test_no_answers_at_all_has_no_share() -> None:
    assert ErrorRate(requests=0, target_5xx=0, elb_5xx=0, elb_503=0).share is None
