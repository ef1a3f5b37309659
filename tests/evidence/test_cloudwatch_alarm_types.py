"""Alarms of every type DescribeAlarms answers with: a log alarm named in [alarms] is found."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from botocore.stub import Stubber

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, read_actions
from opscheck.evidence.cloudwatch import Alarms, alarms
from opscheck.target import load
from tests.helpers import ROOT

TARGET = load("simulated", ROOT)
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def test_a_log_alarm_is_an_alarm_not_a_missing_one() -> None:
    names = TARGET.alarms.model_dump()
    log_alarm = names["application_errors_high"]
    aws = ReadOnlySession(
        "us-east-2",
        read_actions(),
        credentials={"aws_access_key_id": "x", "aws_secret_access_key": "x"},
    )
    client = aws.client("cloudwatch")
    metric = {
        "AlarmName": names["alb_unhealthy_targets"],
        "StateValue": "OK",
        "StateReason": "fine",
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-2:123456789012:alerts"],
    }
    # The answer's shape is botocore's model of DescribeAlarms (Stubber validates it).
    answer = {
        "MetricAlarms": [metric],
        "CompositeAlarms": [],
        "LogAlarms": [
            {
                "AlarmName": log_alarm,
                "StateValue": "ALARM",
                "StateReason": "ERROR lines above 100 in 5 minutes",
                "ActionsEnabled": True,
                "AlarmActions": ["arn:aws:sns:us-east-2:123456789012:alerts"],
            }
        ],
        "ResponseMetadata": {"RequestId": "0f2c3d4e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"},
    }
    expected = {
        "AlarmNames": list(names.values()),
        "AlarmTypes": ["MetricAlarm", "CompositeAlarm", "LogAlarm"],
    }
    with Stubber(client) as stub:
        stub.add_response("describe_alarms", answer, expected)
        found = alarms(Context(target=TARGET, aws=aws, http=requests.Session(), now=NOW))
    assert isinstance(found, Alarms)
    assert found.alarms[log_alarm].state == "ALARM"
    assert log_alarm not in found.missing
