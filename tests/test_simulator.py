"""The simulator itself: how its world is seeded, and how forked simulators start and stop.

The end-to-end tests (tests/test_end_to_end.py) run every fault through simulators forked
from a fork server; here: that a forked run is the cold one, that forks share nothing,
and that nothing outlives its owner or listens beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import socket
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opscheck.simulator import FORK_SERVER, Simulator, SimulatorError, effects
from opscheck.simulator.catalog import load as load_catalog
from opscheck.simulator.forkserver import ForkServer, fork_if_offered
from opscheck.target import load
from tests.helpers import ROOT, run_checks, simulator

TARGET = load("simulated", ROOT)


def health(sim) -> int:
    url = sim.http_url + "/health"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def refused(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError:
        return True
    return False


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
    # access locks who reads; network is the VPC no check reads.
    assert simulated - {"__init__", "access", "network"} <= evidence


def test_fault_file_reference_matches_the_effects():
    printed = subprocess.run(
        [sys.executable, "-m", "opscheck.simulator.reference"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    doc = (ROOT / "docs" / "faults.md").read_text(encoding="utf-8")
    inside = doc.split("<!-- faults:begin -->\n")[1].split("\n<!-- faults:end -->")[0]
    assert inside.strip() == printed, (
        "docs/faults.md is stale: run python -m opscheck.simulator.reference"
    )
    documented = {line[5:-1] for line in printed.splitlines() if line.startswith("### `")}
    catalog = load_catalog(ROOT / "fixtures/faults")
    assert {key for fault in catalog.values() for key in fault.effects} <= documented


# -- forked simulators ------------------------------------------------------------------------


def test_forked_simulators_share_nothing():
    """Each fork stages its own faults in its own world, on its own ports of 127.0.0.1."""
    failing = simulator(["health-503"])
    healthy = simulator()
    try:
        assert (health(failing), health(healthy)) == (503, 200)
        urls = [failing.aws_url, failing.http_url, healthy.aws_url, healthy.http_url]
        assert all(u.startswith("http://127.0.0.1:") for u in urls)
        assert len(set(urls)) == 4
        assert failing.credentials != healthy.credentials
    finally:
        failing.stop()
        healthy.stop()
    # Once stopped, nothing answers where they served.
    assert all(refused(u) for u in urls)


def test_an_unknown_fault_is_named_and_the_fork_server_carries_on():
    with pytest.raises(SimulatorError, match="unknown fault 'meteor-strike'"):
        simulator(["meteor-strike"])
    sim = simulator()
    sim.stop()


def test_a_simulator_is_forked_only_from_a_fork_server_of_its_own_target(tmp_path, monkeypatch):
    """Simulator.start takes what FORK_SERVER offers for this target and catalog, and else
    starts cold, as it does for a user, who is offered none."""
    import os

    offer = os.environ[FORK_SERVER]
    catalog = ROOT / "fixtures/faults"
    other = tmp_path / "environments" / "simulated.toml"
    other.parent.mkdir()
    shipped = (ROOT / "environments/simulated.toml").read_text()
    other.write_text(shipped)  # a copy is the same world
    copied = fork_if_offered(offer, load("simulated", tmp_path), catalog, [])
    assert copied is not None
    copied.stop()
    other.write_text(shipped.replace("latency_ms = 0", "latency_ms = 5"))
    assert fork_if_offered(offer, load("simulated", tmp_path), catalog, []) is None
    assert fork_if_offered(offer, TARGET, tmp_path, []) is None
    gone = json.dumps(dict(json.loads(offer), socket=str(tmp_path / "nothing-here")))
    assert fork_if_offered(gone, TARGET, catalog, []) is None
    monkeypatch.setenv(FORK_SERVER, offer)
    sim = Simulator.start(TARGET, catalog, ["health-503"])
    try:
        assert sim.connection is not None and sim.process is None
        assert health(sim) == 503
    finally:
        sim.stop()


def test_the_fork_server_stops_with_its_input_and_listens_on_no_port():
    server = ForkServer.start(TARGET, ROOT / "fixtures/faults")
    try:
        folder = Path(server.address).parent
        assert stat.S_ISSOCK(Path(server.address).stat().st_mode)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # this user alone may ask
        sim = server.simulator([])
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert not folder.exists()
    # A simulator it forked lives on until its own owner hangs up, then stops too.
    assert health(sim) == 200
    sim.stop()
    assert refused(sim.aws_url) and refused(sim.http_url)


def _comparable(message: str) -> str:
    """A check's message without what differs between any two runs: times, ports, ids."""
    message = re.sub(r"\d{4}-\d\d-\d\d[ T][\d:.]+(\+00:00|Z)?", "<time>", message)
    message = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", message)
    message = re.sub(r"\b\d+ ms\b", "<n> ms", message)
    return re.sub(r"\b[0-9a-f]{32}\b", "<id>", message)


def test_a_forked_run_is_the_cold_run(tmp_path):
    """The same faults give the same findings, word for word, however the simulator started."""
    faults = "bad-deployment,rds-pending-maintenance,error-log-flood,alarm-without-sns"
    cold = run_checks(tmp_path / "cold", "--simulate", faults, forked=False)
    forked = run_checks(tmp_path / "forked", "--simulate", faults)
    assert cold.checks, cold.output
    found = {n: (c.outcome, c.severity, _comparable(c.message)) for n, c in forked.checks.items()}
    assert found == {
        n: (c.outcome, c.severity, _comparable(c.message)) for n, c in cold.checks.items()
    }
    assert forked.returncode == cold.returncode == 1
    assert json.loads((tmp_path / "forked" / "reports" / "summary.json").read_text())
