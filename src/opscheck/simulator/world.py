"""The simulated production: a healthy copy of the target's topology inside moto.

Seeded over HTTP through boto3, from the target's own names, so the checks meet the
same resources they would meet in the real account. Runs in the simulator process:
moto's backends can be edited only where its server runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from opscheck.target import Target

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{{region}}.amazonaws.com/saaspe-backend"
SECRETS = f"arn:aws:secretsmanager:{{region}}:{ACCOUNT}:secret:saaspe/production/"
RUNNING_TASKS = 2
REVISIONS = ("1a2b3c4", "5d6e7f8", "9a0b1c2")  # image tags of the seeded task definition revisions


@dataclass
class Response:
    """What the simulated app's HTTP side answers at one path; effects edit it."""

    status: int
    body: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # how long the answer takes: a slow API


@dataclass
class World:
    """Handles on the seeded resources that faults edit."""

    target: Target
    aws_url: str
    subnet: str = ""
    security_group: str = ""
    target_group_arn: str = ""
    task_definitions: list[str] = field(default_factory=list)
    responses: dict[str, Response] = field(default_factory=dict)
    series: dict[str, list[float | None]] = field(default_factory=dict)  # per minute, oldest first
    load_balancer_dimension: str = ""
    denied: set[str] = field(default_factory=set)  # IAM actions the checks' user is not granted

    @property
    def paths(self) -> dict[str, str]:
        """Where the HTTP side serves the app's health, Sentry, GitHub and each dependency."""
        from opscheck.simulator import local_paths

        return local_paths(self.target)

    @property
    def health_path(self) -> str:
        return self.paths["health"]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name=self.target.aws.region,
            aws_access_key_id="simulated",
            aws_secret_access_key="simulated",
        )

    def network(self) -> dict[str, Any]:
        return {
            "awsvpcConfiguration": {
                "subnets": [self.subnet],
                "securityGroups": [self.security_group],
            }
        }


def container(target: Target, tag: str) -> dict[str, Any]:
    return {
        "name": "backend",
        "image": IMAGE.format(region=target.aws.region) + f":{tag}",
        "essential": True,
        "cpu": 512,
        "memory": 1024,
        "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
        "environment": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "PORT", "value": "3000"},
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        "secrets": [
            {"name": name, "valueFrom": f"{SECRETS.format(region=target.aws.region)}{name}"}
            for name in ("DATABASE_URL", "REDIS_URL", "SENTRY_DSN")
        ],
        "healthCheck": {
            "command": ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"],
            "interval": 30,
            "retries": 3,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": target.ecs.log_group,
                "awslogs-region": target.aws.region,
                "awslogs-stream-prefix": "ecs",
            },
        },
    }


def register_revision(world: World, tag: str) -> str:
    answer = world.client("ecs").register_task_definition(
        family=world.target.ecs.task_family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[container(world.target, tag)],
    )
    arn = answer["taskDefinition"]["taskDefinitionArn"]
    world.task_definitions.append(arn)
    return arn


def seed(aws_url: str, target: Target) -> World:
    """Create a healthy production: service with running tasks behind healthy targets."""
    world = World(target, aws_url)
    client = world.client
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    zone = f"{target.aws.region}a"
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)
    subnet_b = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{target.aws.region}b"
    )
    group = ec2.create_security_group(GroupName="backend", Description="backend tasks", VpcId=vpc)
    world.subnet, world.security_group = subnet["Subnet"]["SubnetId"], group["GroupId"]
    world.responses[world.health_path] = Response(200, '{"status":"ok"}')

    elb = client("elbv2")
    lb = elb.create_load_balancer(
        Name=target.alb.name,
        Subnets=[world.subnet, subnet_b["Subnet"]["SubnetId"]],
        SecurityGroups=[world.security_group],
        Type="application",
    )["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name=target.alb.target_group,
        Protocol="HTTP",
        Port=3000,
        VpcId=vpc,
        TargetType="ip",
        HealthCheckPath="/health",
    )["TargetGroups"][0]
    world.target_group_arn = tg["TargetGroupArn"]
    world.load_balancer_dimension = (
        target.alb.dimension or lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    )
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": world.target_group_arn}],
    )
    elb.register_targets(
        TargetGroupArn=world.target_group_arn,
        Targets=[{"Id": f"10.0.1.{10 + i}", "Port": 3000} for i in range(RUNNING_TASKS)],
    )

    ecs = client("ecs")
    ecs.create_cluster(clusterName=target.ecs.cluster)
    for tag in REVISIONS:
        register_revision(world, tag)
    os.environ["MOTO_ECS_SERVICE_RUNNING"] = str(RUNNING_TASKS)
    ecs.create_service(
        cluster=target.ecs.cluster,
        serviceName=target.ecs.service,
        taskDefinition=world.task_definitions[-1],
        desiredCount=RUNNING_TASKS,
        launchType="FARGATE",
        networkConfiguration=world.network(),
        loadBalancers=[
            {
                "targetGroupArn": world.target_group_arn,
                "containerName": "backend",
                "containerPort": 3000,
            }
        ],
    )
    # moto keeps deploymentConfiguration from update_service, not from create_service.
    ecs.update_service(
        cluster=target.ecs.cluster,
        service=target.ecs.service,
        healthCheckGracePeriodSeconds=60,
        deploymentConfiguration={
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "alarms": {
                "alarmNames": [target.alarms.alb_unhealthy_targets],
                "enable": True,
                "rollback": True,
            },
        },
    )
    # A healthy service has stopped tasks too: the ones the last deployment replaced.
    for _ in range(RUNNING_TASKS):
        stop_tasks_like(
            world,
            world.task_definitions[-2],
            stop_code="ServiceSchedulerInitiated",
            reason="Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
            exit_code=0,
            minutes_ago=45,
        )

    topic = client("sns").create_topic(Name=f"{target.ecs.service}-alerts")["TopicArn"]
    cloudwatch = client("cloudwatch")
    for name in target.alarms.model_dump().values():
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/ApplicationELB",
            MetricName="UnHealthyHostCount",
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=2,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topic],
        )
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue="OK", StateReason="Simulated: healthy"
        )
    cloudwatch.put_dashboard(
        DashboardName=target.cloudwatch.dashboard,
        DashboardBody=json.dumps({"widgets": []}),
    )
    logs = client("logs")
    logs.create_log_group(logGroupName=target.ecs.log_group)
    logs.put_retention_policy(logGroupName=target.ecs.log_group, retentionInDays=30)
    client("rds").create_db_instance(
        DBInstanceIdentifier=target.rds.instance,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        AllocatedStorage=50,
        MasterUsername="saaspe",
        MasterUserPassword="simulated-only",
        BackupRetentionPeriod=7,
        MultiAZ=True,
        DeletionProtection=True,
    )
    return world


def stop_tasks_like(
    world: World,
    task_definition: str,
    *,
    stop_code: str,
    reason: str,
    exit_code: int | None,
    container_reason: str | None = None,
    minutes_ago: float = 5,
    count: int = 1,
) -> None:
    """Run tasks of the service and stop them as ECS would have, with the given reasons."""
    from moto.ecs.models import ecs_backends

    ecs = world.client("ecs")
    cluster = world.target.ecs.cluster
    tasks = ecs.run_task(
        cluster=cluster,
        taskDefinition=task_definition,
        launchType="FARGATE",
        group=f"service:{world.target.ecs.service}",
        startedBy="ecs-svc/simulated",
        count=count,
        networkConfiguration=world.network(),
    )["tasks"]
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    stopped_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    for task in tasks:
        ecs.stop_task(cluster=cluster, task=task["taskArn"], reason=reason)
        stored = backend.tasks[cluster][task["taskArn"]]
        stored.stop_code = stop_code
        stored.started_at = stopped_at - timedelta(seconds=40)
        stored.stopped_at = stopped_at
        for c in stored.containers:
            c.last_status = "STOPPED"
            c.exitCode = exit_code
            c.reason = container_reason
