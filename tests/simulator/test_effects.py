"""The effects modules: how the healthy world is seeded, and their names."""

from __future__ import annotations

import pytest

from opscheck.simulator import effects
from tests.helpers import ROOT

# -- seeding ----------------------------------------------------------------------------------


def test_every_seed_runs_after_the_seeds_it_names():
    effects.load_all()
    order = [s.name for s in effects.seeds()]
    assert {"network", "elb", "taskdefs", "ecs", "logs", "rds", "cloudwatch"} <= set(order)
    for seed in effects.seeds():
        assert all(order.index(before) < order.index(seed.name) for before in seed.after)
    assert order.index("network") < order.index("elb") < order.index("ecs")


def test_seeds_waiting_on_each_other_or_on_nothing_known_are_refused(monkeypatch):
    def nothing(world):
        pass

    monkeypatch.setattr(effects, "SEEDS", {})
    effects.seed("a", after=("b",))(nothing)
    effects.seed("b", after=("a",))(nothing)
    with pytest.raises(ValueError, match="seeds wait on each other"):
        effects.seeds()
    monkeypatch.setattr(effects, "SEEDS", {})
    effects.seed("a", after=("vpc",))(nothing)
    with pytest.raises(ValueError, match="after unknown seeds: vpc"):
        effects.seeds()
    with pytest.raises(ValueError, match="registered twice"):
        effects.seed("a")(nothing)


def test_effects_modules_are_named_after_evidence_modules():
    """So the code staging a fault sits where a reader of that evidence looks for it."""
    package = ROOT / "src" / "opscheck"
    evidence = {p.stem for p in (package / "evidence").glob("*.py")}
    simulated = {p.stem for p in (package / "simulator" / "effects").glob("*.py")}
    # access locks who reads; network is the VPC no check reads; scale fills every area.
    assert simulated - {"__init__", "access", "network", "scale"} <= evidence
