"""Evidence of what the service runs and can roll back to: its task definitions.

Values of plain environment variables are never kept (they may be secrets): only their
names, and which of those names look like secrets.
"""

from __future__ import annotations

import re
from typing import Any

from opscheck.evidence.base import Context, Model, source
from opscheck.evidence.ecs import describe_service, revision_name

SECRET_NAME = re.compile(
    r"PASSWORD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|DSN|DATABASE_URL", re.I
)


class ContainerConfig(Model):
    name: str
    essential: bool = True
    image: str = ""
    cpu: int | None = None
    memory: int | None = None
    memory_reservation: int | None = None
    environment: tuple[str, ...] = ()  # names of plain variables
    plain_secrets: tuple[str, ...] = ()  # plain variables whose names look like secrets
    secrets: tuple[tuple[str, str], ...] = ()  # (name, valueFrom: a Secrets Manager or SSM ARN)
    health_check: tuple[str, ...] = ()  # the container health check command, if any


class TaskDefinitions(Model):
    family: str
    active_revisions: tuple[int, ...]  # ACTIVE revisions of the family, ascending
    current_arn: str | None = None  # what the service runs
    cpu: str | None = None
    memory: str | None = None
    containers: tuple[ContainerConfig, ...] = ()

    @property
    def current_name(self) -> str | None:
        """What the service runs as 'family:N', the name messages and commands use."""
        return revision_name(self.current_arn) if self.current_arn is not None else None

    @property
    def current_revision(self) -> int | None:
        return revision_of(self.current_arn) if self.current_arn else None

    @property
    def previous_revision(self) -> int | None:
        """The newest ACTIVE revision older than the current one: where a rollback goes."""
        current = self.current_revision
        older = [r for r in self.active_revisions if current is not None and r < current]
        return older[-1] if older else None

    @property
    def essential(self) -> tuple[ContainerConfig, ...]:
        return tuple(c for c in self.containers if c.essential)


def revision_of(arn: str) -> int:
    return int(arn.rpartition(":")[2])


def _container(c: dict[str, Any]) -> ContainerConfig:
    names = tuple(sorted(e["name"] for e in c.get("environment", [])))
    return ContainerConfig(
        name=c["name"],
        essential=c.get("essential", True),
        image=c.get("image", ""),
        cpu=c.get("cpu") or None,
        memory=c.get("memory"),
        memory_reservation=c.get("memoryReservation"),
        environment=names,
        plain_secrets=tuple(n for n in names if SECRET_NAME.search(n)),
        secrets=tuple((s["name"], s["valueFrom"]) for s in c.get("secrets", [])),
        health_check=tuple(c.get("healthCheck", {}).get("command", [])),
    )


@source(
    "task_definitions",
    actions=("ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition", "ecs:DescribeServices"),
)
def task_definitions(ctx: Context) -> TaskDefinitions:
    """The family's ACTIVE revisions and the configuration of the one the service runs."""
    ecs = ctx.aws.client("ecs")
    family = ctx.target.ecs.task_family
    arns: list[str] = []
    for page in ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix=family, status="ACTIVE"
    ):
        arns += page["taskDefinitionArns"]
    # Sorted here: not every endpoint honours sort=DESC, and the prefix matches other families.
    revisions = tuple(
        sorted(revision_of(a) for a in arns if revision_name(a).rpartition(":")[0] == family)
    )
    current = describe_service(ctx).get("taskDefinition")
    if not current:
        return TaskDefinitions(family=family, active_revisions=revisions)
    described = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
    return TaskDefinitions(
        family=family,
        active_revisions=revisions,
        current_arn=current,
        cpu=described.get("cpu"),
        memory=described.get("memory"),
        containers=tuple(_container(c) for c in described.get("containerDefinitions", [])),
    )
