"""The service's numbers from its own target group: another target group on the same ALB
neither dilutes nor inflates its requests, 5xx or response time (against moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import requests

from opscheck.evidence import Context
from opscheck.evidence.metrics import Metrics, metrics
from tests.helpers import CREDENTIALS, SIMULATED, session


def test_target_metrics_are_read_on_the_services_target_group(moto_url: str) -> None:
    aws = {"region_name": "us-east-2", "endpoint_url": moto_url, **CREDENTIALS}
    ec2, elb = boto3.client("ec2", **aws), boto3.client("elbv2", **aws)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=f"us-east-2{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name="opscheck-tests-shared-alb", Subnets=subnets)
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {}
    for name in ("opscheck-tests-service-tg", "opscheck-tests-other-tg"):
        arn = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        elb.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=8000 + len(groups),
            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
        )
        groups[name] = arn.rpartition(":")[2]
    lb_dimension = lb_arn.split(":loadbalancer/")[1]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    data = []
    for name, (requests_count, errors) in {
        "opscheck-tests-service-tg": (1000.0, 10.0),
        "opscheck-tests-other-tg": (9000.0, 4000.0),
    }.items():
        dims = [
            {"Name": "TargetGroup", "Value": groups[name]},
            {"Name": "LoadBalancer", "Value": lb_dimension},
        ]
        stamp = now - timedelta(minutes=6)
        data += [
            {
                "MetricName": "RequestCount",
                "Dimensions": dims,
                "Timestamp": stamp,
                "Value": requests_count,
            },
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": dims,
                "Timestamp": stamp,
                "Value": errors,
            },
        ]
    boto3.client("cloudwatch", **aws).put_metric_data(
        Namespace="AWS/ApplicationELB", MetricData=data
    )

    alb = SIMULATED.alb.model_copy(
        update={
            "name": "opscheck-tests-shared-alb",
            "dimension": None,
            "target_group": "opscheck-tests-service-tg",
        }
    )
    target = SIMULATED.model_copy(update={"alb": alb})
    ctx = Context(target=target, aws=session(moto_url), http=requests.Session(), now=now)
    found = metrics(ctx)
    assert isinstance(found, Metrics)
    assert found.series["alb_requests"].dimensions == {
        "TargetGroup": groups["opscheck-tests-service-tg"],
        "LoadBalancer": lb_dimension,
    }
    assert found.series["alb_elb_5xx"].dimensions == {"LoadBalancer": lb_dimension}
    assert sum(found.series["alb_requests"].values) == 1000.0
    assert sum(found.series["alb_target_5xx"].values) == 10.0
    # The load balancer came from the target group's own answer: no DescribeLoadBalancers.
    assert "elasticloadbalancing:DescribeLoadBalancers" not in ctx.aws.calls
    assert ctx.aws.calls["elasticloadbalancing:DescribeTargetGroups"] == 1
