"""The VPC everything sits in: two subnets in two zones and the tasks' security group.

No check reads it, so it has no evidence module of its own; the ALB and the ECS service
need it (their seeds come `after` this one), and moto's Fargate `run_task` needs its DNS
hostnames on.
"""

from __future__ import annotations

from opscheck.simulator.effects import seed
from opscheck.simulator.world import World


@seed("network")
def vpc(world: World) -> None:
    ec2 = world.client("ec2")
    region = world.target.aws.region
    world.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=world.vpc, EnableDnsHostnames={"Value": True})
    for n, zone in enumerate("ab", start=1):
        subnet = ec2.create_subnet(
            VpcId=world.vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{region}{zone}"
        )
        world.subnets.append(subnet["Subnet"]["SubnetId"])
    group = ec2.create_security_group(
        GroupName="backend", Description="backend tasks", VpcId=world.vpc
    )
    world.security_group = group["GroupId"]
