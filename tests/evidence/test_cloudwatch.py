"""The alarms source, against moto."""

from __future__ import annotations

from opscheck.evidence import gather
from opscheck.evidence.cloudwatch import Alarms
from tests.evidence.helpers import moto_context, moto_target


def test_moto_no_alarms_are_all_missing(moto_url: str) -> None:
    target = moto_target("opscheck-tests-no-cluster")
    value = gather(["alarms"], moto_context(target, moto_url), deadline_s=20).get("alarms")
    assert isinstance(value, Alarms)
    assert value.alarms == {}
    assert set(value.missing) == set(target.alarms.model_dump().values())
    assert value.region == "us-east-2"
