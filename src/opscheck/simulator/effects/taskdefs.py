"""Task definitions: what the service runs and can roll back to (evidence: `taskdefs`).

The healthy world runs revision 3 of the family with 1 and 2 still ACTIVE, so the
runbook's hard-coded `saaspe-production-backend:2` is the previous revision, as it was when
the runbook was written. A later good deploy makes that revision stale; deregistered
revisions leave nothing to roll back to. Other faults change how the running revision
is configured: its health check, its limits, its environment.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends
from pydantic import Field

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import ACCOUNT, World
from opscheck.target import Target

IMAGE = f"{ACCOUNT}.dkr.ecr.{{region}}.amazonaws.com/saaspe-backend"
SECRETS = f"arn:aws:secretsmanager:{{region}}:{ACCOUNT}:secret:saaspe/production/"
REVISIONS = ("1a2b3c4", "5d6e7f8", "9a0b1c2")  # image tags of the seeded task definition revisions
GOOD_TAG = "3d4e5f6"


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
    """Register the next revision of the family, running the image tagged `tag`."""
    # On the backend, not over HTTP: a production at scale has registered dozens.
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    arn: str = backend.register_task_definition(
        family=world.target.ecs.task_family,
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        container_definitions=[container(world.target, tag)],
    ).arn
    world.task_definitions.append(arn)
    return arn


def service(world: World) -> Any:
    """The service in moto's backend, for what its API cannot set."""
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    return backend.services[f"{world.target.ecs.cluster}:{world.target.ecs.service}"]


@seed("taskdefs")
def revisions(world: World) -> None:
    for tag in REVISIONS:
        register_revision(world, tag)


class RevisionsChange(Change):
    """The task definition revisions the service could roll back to."""

    deploy_new: bool = False
    """Register a good revision and deploy it, rollout completed."""
    keep_active: int | None = None
    """Deregister all but the newest N revisions."""


@effect("task_definitions", RevisionsChange)
def change_revisions(world: World, change: RevisionsChange, fault: Fault) -> None:
    ecs = world.client("ecs")
    if change.deploy_new:
        revision = register_revision(world, GOOD_TAG)
        running = service(world)
        primary = dict(running.deployments[0], taskDefinition=revision, rolloutState="COMPLETED")
        primary["id"] = f"{primary['id']}7"
        running.task_definition = revision
        running.deployments = [primary]
    if change.keep_active is not None:
        for arn in world.task_definitions[: -change.keep_active or None]:
            ecs.deregister_task_definition(taskDefinition=arn)


class RevisionChange(Change):
    """How the revision the service runs is configured."""

    health_check: bool = True
    """False: the container has no health check."""
    limits: bool = True
    """False: a revision for EC2, with no CPU and only a soft memory reservation."""
    without_env: tuple[str, ...] = ()
    """Variables (plain or secret) left out."""
    plain_env: dict[str, str] = Field(default_factory=dict)
    """Variables added to the plain environment, with their values."""


@effect("revision", RevisionChange)
def change_revision(world: World, change: RevisionChange, fault: Fault) -> None:
    """Change the revision the service runs, as if it had been registered that way.

    Edited in moto's backend rather than registered anew: a new revision would also make
    the runbook's hard-coded rollback revision stale, a finding of another section.
    moto also refuses a container with only a memoryReservation, which AWS accepts on EC2.
    """
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    stored = backend.describe_task_definition(service(world).task_definition)
    definition = stored.container_definitions[0]
    if not change.health_check:
        definition.pop("healthCheck", None)
    if not change.limits:
        # Fargate requires task-level sizes; a definition without them is one for EC2.
        stored.cpu = stored.memory = None
        stored.requires_compatibilities = ["EC2"]
        stored.compatibilities = ["EC2"]
        definition["cpu"] = 0
        definition.pop("memory", None)
        definition["memoryReservation"] = 512
    drop = set(change.without_env)
    definition["environment"] = [e for e in definition["environment"] if e["name"] not in drop]
    definition["environment"] += [
        {"name": name, "value": value} for name, value in change.plain_env.items()
    ]
    definition["secrets"] = [s for s in definition["secrets"] if s["name"] not in drop]
