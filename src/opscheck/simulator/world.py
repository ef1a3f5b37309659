"""The simulated production's state: handles on what the seeds made, for faults to edit.

Seeded over HTTP through boto3 (`opscheck.simulator.effects`, one seed per area), from the
target's own names, so the checks meet the same resources they would meet in the real
account. Lives in the simulator process: moto's backends can be edited only where its
server runs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
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
    vpc: str = ""
    subnets: list[str] = field(default_factory=list)  # one per availability zone
    security_group: str = ""
    target_group_arn: str = ""
    task_definitions: list[str] = field(default_factory=list)
    responses: dict[str, Response] = field(default_factory=dict)
    series: dict[str, list[float | None]] = field(default_factory=dict)  # per minute, oldest first
    load_balancer_dimension: str = ""
    denied: set[str] = field(default_factory=set)  # IAM actions the checks' user is not granted
    postgres_url: str | None = None  # this run's database (superuser), if PostgreSQL runs
    redis_url: str | None = None
    # Connections a fault keeps open (sessions holding locks, idle in a transaction...).
    sessions: list[Any] = field(default_factory=list, repr=False)
    settle_until: float = 0.0  # time.monotonic() at which the staged sessions are old enough
    clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def paths(self) -> dict[str, str]:
        """Where the HTTP side serves the app's health, Sentry, GitHub and each dependency."""
        from opscheck.simulator import local_paths

        return local_paths(self.target)

    @property
    def health_path(self) -> str:
        return self.paths["health"]

    def client(self, service: str) -> Any:
        """A boto3 client of the simulated AWS, made once per service: seeding asks often."""
        if service not in self.clients:
            self.clients[service] = boto3.client(
                service,
                endpoint_url=self.aws_url,
                region_name=self.target.aws.region,
                aws_access_key_id="simulated",
                aws_secret_access_key="simulated",
            )
        return self.clients[service]

    def hang_up(self) -> None:
        """Close the clients' keep-alive connections, so no server thread waits on one."""
        for client in self.clients.values():
            client.close()

    def hang_up_sessions(self) -> None:
        """Close the connections faults held open."""
        for connection in self.sessions:
            with contextlib.suppress(Exception):  # a connection the server already ended
                connection.close()
        self.sessions.clear()

    def move(self, aws_url: str) -> None:
        """Point the world at moto served elsewhere (a forked simulator's own port)."""
        self.hang_up()
        self.clients.clear()
        self.aws_url = aws_url

    def network(self) -> dict[str, Any]:
        """Where the service's tasks run: the first subnet, with the tasks' security group."""
        return {
            "awsvpcConfiguration": {
                "subnets": self.subnets[:1],
                "securityGroups": [self.security_group],
            }
        }
