"""Forked simulators: a forked run is the cold one, forks share nothing, and nothing outlives
its owner or listens beyond 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opscheck.simulator import FORK_SERVER, Simulator, SimulatorError
from opscheck.simulator.forkserver import ForkServer, fork_if_offered
from opscheck.target import load
from tests.helpers import ROOT, run_checks, simulator
from tests.helpers import SIMULATED as TARGET


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
