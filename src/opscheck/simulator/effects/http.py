"""Effects on the app's HTTP side: what its health endpoint answers."""

from __future__ import annotations

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import Response, World


class HealthChange(Change):
    status: int
    body: str = ""


@effect("health", HealthChange)
def change_health(world: World, change: HealthChange, fault: Fault) -> None:
    world.responses[world.health_path] = Response(change.status, change.body, "text/plain")
