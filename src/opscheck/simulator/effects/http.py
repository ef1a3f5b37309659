"""The app's HTTP side: what its health endpoint answers (evidence: `http`)."""

from __future__ import annotations

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import Response, World


@seed("http")
def healthy_endpoint(world: World) -> None:
    world.responses[world.health_path] = Response(200, '{"status":"ok"}')


class HealthChange(Change):
    """What the health endpoint answers."""

    status: int
    """The HTTP status."""
    body: str = ""
    """The body, as text."""


@effect("health", HealthChange)
def change_health(world: World, change: HealthChange, fault: Fault) -> None:
    world.responses[world.health_path] = Response(change.status, change.body, "text/plain")
