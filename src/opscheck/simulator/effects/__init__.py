"""What faults can change, and how the healthy world is seeded beyond its base topology.

Each module here registers effects (a fault key, the pydantic model of its value, and a
function applying it to the world), seeds (functions run once on the healthy world),
finishers (run once all faults are staged) and answers (for AWS actions moto lacks).
Modules are found by name, so a new area of the simulation is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from opscheck.simulator.catalog import CatalogError, Fault
from opscheck.simulator.world import World


class Change(BaseModel):
    """Base of every effect's model: strict about its keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class Effect:
    model: type[Change]
    apply: Callable[[World, Any, Fault], None]


EFFECTS: dict[str, Effect] = {}
SEEDS: list[Callable[[World], None]] = []
FINISHERS: list[Callable[[World], None]] = []
# AWS query-protocol actions moto does not implement, answered by the simulator itself:
# action -> function(world, params) returning the XML body of a 200 answer.
ANSWERS: dict[str, Callable[[World, dict[str, str]], str]] = {}


def effect(key: str, model: type[Change]) -> Callable[[Any], Any]:
    """Register `apply(world, change, fault)` for the fault key `key`."""

    def register(apply: Callable[[World, Any, Fault], None]) -> Callable[[World, Any, Fault], None]:
        EFFECTS[key] = Effect(model, apply)
        return apply

    return register


def seed(function: Callable[[World], None]) -> Callable[[World], None]:
    """Register a function that adds to the healthy world after the base topology."""
    SEEDS.append(function)
    return function


def finish(function: Callable[[World], None]) -> Callable[[World], None]:
    """Register a function run once every fault is staged (to publish what they planned)."""
    FINISHERS.append(function)
    return function


def answer(action: str) -> Callable[[Any], Any]:
    """Register the answer to a query-protocol action moto lacks (say so in the check too)."""

    def register(function: Callable[[World, dict[str, str]], str]) -> Callable[..., str]:
        ANSWERS[action] = function
        return function

    return register


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def stage(world: World, fault: Fault) -> None:
    """Apply every effect of a fault, validating each against its model first."""
    for key, value in fault.effects.items():
        if key not in EFFECTS:
            raise CatalogError(
                f"fault '{fault.name}': unknown effect '{key}' "
                f"(expected one of: {', '.join(sorted(EFFECTS))})"
            )
        try:
            change = EFFECTS[key].model.model_validate(value)
        except ValidationError as error:
            problems = "; ".join(
                f"'{key}.{'.'.join(map(str, e['loc']))}' {e['msg'].lower()}" for e in error.errors()
            )
            raise CatalogError(f"fault '{fault.name}': {problems}") from None
        EFFECTS[key].apply(world, change, fault)
