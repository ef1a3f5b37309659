"""A fork server of simulators: seed once, then start each run's simulator in under a second.

A cold simulator spends seconds importing moto and seeding the world over HTTP before it
can stage a fault. The fork server does both once, stops serving, and waits on a Unix
socket in a private folder (nothing listens on the network). Asked for a simulator with
some faults, it forks: the copy serves moto and the app on fresh free ports of 127.0.0.1,
stages the faults in its own copy of the world, locks access and answers the ready line
a cold simulator prints. Each run gets its own process and its own world, so no fault
leaks into the next run, exactly as with a cold start.

Lifetimes follow the cold simulator's rule, never outliving whoever asked: the fork server
exits when its standard input closes, and each forked simulator when the connection it
was asked on closes (`Simulator.stop`, or its owner dying).

A seeded world ages (log lines of the last minutes, events dated from the seed), so the
fork server seeds it again when it is older than `REFRESH_S`, between requests, and before
a fork if it is older than `MAX_AGE_S`: a forked run finds the seeded past inside the same
windows a cold one does.

Whoever runs a fork server offers it by setting `FORK_SERVER` (`ForkServer.offer`): then
`Simulator.start`, as the plugin calls it, forks from it when it was seeded from the same
environment file and catalog (by content), and starts cold otherwise. A user sets nothing
and starts cold.

This module is the asking side and imports no moto; the serving side is `serve`, run by
`python -m opscheck.simulator --fork-server`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from opscheck.simulator import READY_TIMEOUT_S, Simulator, SimulatorError, catalog, spawn
from opscheck.target import Target

if TYPE_CHECKING:
    from opscheck.simulator.process import Simulation

# The seeded past the checks judge lies well inside their windows even two minutes on:
# log lines of the last 95 s against 5 minutes, stopped tasks 45 minutes ago against 60.
REFRESH_S = 60.0
MAX_AGE_S = 120.0


def _read_line(stream: IO[str], timeout_s: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        return stream.readline() if selector.select(timeout_s) else ""


@dataclass
class ForkServer:
    """The asking side: a running fork server and where to reach it."""

    process: subprocess.Popen[str]
    address: str  # the Unix socket it accepts on
    log: IO[str]  # its standard error, kept for when it fails
    seeded_from: str  # the fingerprint of its environment file and catalog

    @classmethod
    def start(cls, target: Target, faults: Path) -> ForkServer:
        """Start a fork server for a simulated target, and wait until its world is seeded."""
        log = tempfile.TemporaryFile("w+", prefix="opscheck-forkserver-")  # noqa: SIM115 (kept open until stop)
        process = spawn(target, faults, "--fork-server", stderr=log)
        assert process.stdout is not None
        line = _read_line(process.stdout, READY_TIMEOUT_S)
        if not line:
            process.kill()
            process.wait()
            log.seek(0)
            tail = "\n".join(log.read().strip().splitlines()[-15:])
            raise SimulatorError(
                f"the fork server did not start (exit {process.returncode}):\n{tail}"
            )
        address = json.loads(line)["socket"]
        return cls(process, address, log, fingerprint(target.path, faults))

    def simulator(self, faults: list[str]) -> Simulator:
        """A simulator of its own, with these faults staged; `stop()` it when done."""
        return fork(self.address, faults)

    def offer(self) -> str:
        """The value of `FORK_SERVER` that offers this fork server to `Simulator.start`."""
        return json.dumps({"socket": self.address, "seeded_from": self.seeded_from})

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class ForkServerGone(SimulatorError):
    """Nothing answers at the fork server's address any more."""


def fork(address: str, faults: list[str]) -> Simulator:
    """Ask the fork server at `address` for a simulator with these faults staged.

    SimulatorError if it cannot be reached, or says why it cannot stage them.
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(READY_TIMEOUT_S)
        connection.connect(address)
        connection.sendall(json.dumps({"faults": faults}).encode() + b"\n")
        with connection.makefile("r", encoding="utf-8") as answers:
            line = answers.readline()
        connection.settimeout(None)
    except OSError as error:
        connection.close()
        raise ForkServerGone(f"the fork server did not answer: {error}") from None
    if not line:
        connection.close()
        raise SimulatorError("the forked simulator did not start (see the fork server's log)")
    ready = json.loads(line)
    if "error" in ready:
        connection.close()
        raise SimulatorError(ready["error"])
    return Simulator.ready(ready, connection=connection)


def fingerprint(target_file: Path, catalog_folder: Path) -> str:
    """What a world is seeded and staged from: the environment file and the catalog's files,
    by content, so a copy of them elsewhere (a test project, say) is the same world."""
    digest = hashlib.sha256(target_file.read_bytes())
    for path in sorted(catalog_folder.glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fork_if_offered(
    offered: str, target: Target, catalog_folder: Path, faults: list[str]
) -> Simulator | None:
    """A simulator from the offered fork server, if it was seeded from this target and
    catalog and answers; None (start cold) otherwise. A fault it cannot stage is an error."""
    try:
        offer = json.loads(offered)
        seeded_from, address = offer["seeded_from"], offer["socket"]
    except (ValueError, KeyError, TypeError):
        return None
    try:
        if seeded_from != fingerprint(target.path, catalog_folder):
            return None
    except OSError:
        return None
    try:
        return fork(address, faults)
    except ForkServerGone:
        return None


# -- the serving side, in the fork server's process ------------------------------------------


def serve(target: Target, faults: dict[str, catalog.Fault]) -> int:
    """Seed, then fork a simulator per connection until standard input closes."""
    from opscheck.simulator.process import Simulation

    simulation = Simulation.boot(target)
    _seed(simulation)
    try:
        return _serve(simulation, faults)
    finally:
        simulation.databases.stop()


def _seed(simulation: Simulation) -> None:
    """Seed the world afresh, then freeze what is alive for the garbage collector.

    A forked copy shares the seeded world's pages with the fork server until it writes to
    them, and a full collection writes to every object it walks: in the copy, that was
    0.45 s and 110 MB copied at its first full pass, while it staged its faults. Frozen,
    the world is left out of the copies' passes and stays shared.
    """
    gc.unfreeze()  # the world being replaced is garbage the collector must see
    simulation.seed()
    simulation.quiesce()
    gc.collect()
    gc.freeze()


def _serve(simulation: Simulation, faults: dict[str, catalog.Fault]) -> int:
    folder = tempfile.mkdtemp(prefix="opscheck-forkserver-")  # 0700: only this user connects
    address = os.path.join(folder, "socket")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)
        listener.listen(16)
        print(json.dumps({"socket": address}), flush=True)
        with selectors.DefaultSelector() as selector:
            selector.register(sys.stdin, selectors.EVENT_READ)
            selector.register(listener, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select(timeout=1.0)]
                _reap()
                if sys.stdin in ready and not sys.stdin.readline():
                    return 0
                if listener in ready:
                    connection, _ = listener.accept()
                    _fork(simulation, faults, connection, listener)
                if simulation.age() > REFRESH_S:
                    _seed(simulation)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def _reap() -> None:
    """Collect the exit status of simulators that have stopped, so none lingers as a zombie."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _fork(
    simulation: Simulation,
    faults: dict[str, catalog.Fault],
    connection: socket.socket,
    listener: socket.socket,
) -> None:
    with connection:
        try:
            request = json.loads(connection.makefile("r", encoding="utf-8").readline() or "{}")
            staged = catalog.select(faults, list(request.get("faults", [])))
        except (ValueError, catalog.CatalogError) as error:
            connection.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
            return
        if simulation.age() > MAX_AGE_S:
            _seed(simulation)
        if os.fork() == 0:
            listener.close()
            quiet = os.open(os.devnull, os.O_RDWR)
            os.dup2(quiet, 0)  # the fork server's pipes stay its own
            os.dup2(quiet, 1)
            os._exit(_forked(simulation, staged, connection))


def _forked(simulation: Simulation, staged: list[catalog.Fault], connection: socket.socket) -> int:
    """In the forked copy: open the world, say so, and serve until the asker hangs up."""
    try:
        ready: dict[str, Any] = simulation.open(staged)
    except catalog.CatalogError as error:
        connection.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
        return 2
    except BaseException as error:  # the asker must hear why, not wait for a timeout
        problem = f"{type(error).__name__}: {error}"
        connection.sendall(json.dumps({"error": problem}).encode() + b"\n")
        return 1
    connection.sendall(json.dumps(ready).encode() + b"\n")
    while connection.recv(4096):
        pass
    simulation.close()
    return 0
