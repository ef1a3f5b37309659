"""External APIs the service depends on: what each health URL answers (evidence: `dependencies`).

The healthy world's dependencies answer 200 at once; a fault makes one fail or answer slowly.
"""

from __future__ import annotations

from opscheck.simulator.catalog import CatalogError, Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import Response, World


@seed("dependencies")
def answering_dependencies(world: World) -> None:
    for name in world.target.app.dependencies:
        world.responses[world.paths[f"dependency:{name}"]] = Response(200, '{"status":"ok"}')


class DependencyChange(Change):
    """What an external API the service depends on answers, and how fast."""

    name: str | None = None
    """A key of [app] dependencies; left out: every one."""
    status: int = 200
    """The HTTP status it answers."""
    body: str = '{"status":"ok"}'
    """The body it answers."""
    delay_s: float = 0.0
    """Seconds it takes to answer."""


@effect("dependency", DependencyChange)
def change_dependency(world: World, change: DependencyChange, fault: Fault) -> None:
    names = [change.name] if change.name else list(world.target.app.dependencies)
    for name in names:
        if name not in world.target.app.dependencies:
            raise CatalogError(
                f"fault '{fault.name}': no dependency '{name}' in [app] dependencies"
            )
        world.responses[world.paths[f"dependency:{name}"]] = Response(
            change.status, change.body, delay_s=change.delay_s
        )
