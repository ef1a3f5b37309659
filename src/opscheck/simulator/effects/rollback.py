"""Rollback effects: what the service could roll back to, and whether ECS would roll back.

The healthy world runs revision 3 of the family with 1 and 2 still ACTIVE, so the
runbook's hard-coded `saaspe-production-backend:2` is the previous revision, as it was when
the runbook was written. A later good deploy makes that revision stale; deregistered
revisions leave nothing to roll back to.
"""

from __future__ import annotations

from moto.ecs.models import ecs_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import ACCOUNT, World, register_revision

GOOD_TAG = "3d4e5f6"


class RevisionsChange(Change):
    deploy_new: bool = False  # register a good revision and deploy it, rollout completed
    keep_active: int | None = None  # deregister all but the newest N revisions


@effect("task_definitions", RevisionsChange)
def change_revisions(world: World, change: RevisionsChange, fault: Fault) -> None:
    ecs = world.client("ecs")
    if change.deploy_new:
        revision = register_revision(world, GOOD_TAG)
        backend = ecs_backends[ACCOUNT][world.target.aws.region]
        service = backend.services[f"{world.target.ecs.cluster}:{world.target.ecs.service}"]
        primary = dict(service.deployments[0], taskDefinition=revision, rolloutState="COMPLETED")
        primary["id"] = f"{primary['id']}7"
        service.task_definition = revision
        service.deployments = [primary]
    if change.keep_active is not None:
        for arn in world.task_definitions[: -change.keep_active or None]:
            ecs.deregister_task_definition(taskDefinition=arn)


class CircuitBreakerChange(Change):
    enable: bool
    rollback: bool


@effect("circuit_breaker", CircuitBreakerChange)
def change_circuit_breaker(world: World, change: CircuitBreakerChange, fault: Fault) -> None:
    backend = ecs_backends[ACCOUNT][world.target.aws.region]
    service = backend.services[f"{world.target.ecs.cluster}:{world.target.ecs.service}"]
    service.deployment_configuration["deploymentCircuitBreaker"] = {
        "enable": change.enable,
        "rollback": change.rollback,
    }
