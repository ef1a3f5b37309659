"""The target_health source, against moto."""

from __future__ import annotations

from opscheck.evidence import gather
from opscheck.evidence.elb import TargetHealth
from tests.evidence.helpers import moto_context, moto_target


def test_moto_missing_target_group(moto_url: str) -> None:
    target = moto_target("opscheck-tests-no-cluster")
    value = gather(["target_health"], moto_context(target, moto_url), deadline_s=20).get(
        "target_health"
    )
    assert isinstance(value, TargetHealth)
    assert (value.target_group, value.exists, value.targets) == (
        target.alb.target_group,
        False,
        (),
    )
