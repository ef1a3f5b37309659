"""What faults can change, and how the healthy world is seeded.

One module per evidence module (`opscheck.evidence`), named like it, so the code that
stages a fault sits beside the code that makes that area healthy. Each module registers
effects (a fault key, the pydantic model of its value, and a function applying it to the
world), a seed (run once on the healthy world, after the seeds it names as `after`),
finishers (run once all faults are staged) and answers (for AWS actions moto lacks).
Modules are found by name, so a new area of the simulation is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from opscheck.simulator.catalog import CatalogError, Fault
from opscheck.simulator.world import World


class Change(BaseModel):
    """Base of every effect's model: strict about its keys.

    A field's docstring is its description in the fault file reference (`reference`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


@dataclass(frozen=True)
class Effect:
    model: type[Change]
    apply: Callable[[World, Any, Fault], None]


@dataclass(frozen=True)
class Seed:
    name: str
    add: Callable[[World], None]
    after: tuple[str, ...]  # seeds whose resources this one needs (a VPC before its ALB)


EFFECTS: dict[str, Effect] = {}
SEEDS: dict[str, Seed] = {}
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


def seed(name: str, *, after: tuple[str, ...] = ()) -> Callable[[Any], Any]:
    """Register `add(world)` as the seed `name`, run once the seeds it comes `after` have run.

    The order is declared, not implied by module names: the ALB needs the VPC's subnets,
    the ECS service needs the ALB's target group and the task definitions.
    """

    def register(add: Callable[[World], None]) -> Callable[[World], None]:
        if name in SEEDS:
            raise ValueError(f"seed '{name}' is registered twice")
        SEEDS[name] = Seed(name, add, after)
        return add

    return register


def seeds() -> list[Seed]:
    """Every registered seed, each after the ones it names."""
    unknown = {a for s in SEEDS.values() for a in s.after} - SEEDS.keys()
    if unknown:
        raise ValueError(f"seeds come after unknown seeds: {', '.join(sorted(unknown))}")
    order = TopologicalSorter({s.name: s.after for s in SEEDS.values()})
    try:
        return [SEEDS[name] for name in order.static_order()]
    except CycleError as error:
        raise ValueError(f"seeds wait on each other: {error.args[1]}") from None


def seed_world(world: World) -> None:
    """Make the world a healthy production: every seed, in order."""
    for each in seeds():
        each.add(world)


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
    """Import every effects module, which registers its effects, seed and answers."""
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
