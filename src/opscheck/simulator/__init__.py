"""The simulated production: moto's server and the app's HTTP endpoints, in a child process.

The child owns moto's backends (faults edit them directly), so pytest, its xdist workers
and the aws CLI all reach the simulation over HTTP on 127.0.0.1, through the same code
as live AWS. It stops when the run ends: its standard input closes (or, for one forked
by a fork server, `forkserver`, the connection it was asked on).
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opscheck.target import Target

READY_TIMEOUT_S = 60.0
# Set by whoever runs a fork server (the test suite, a benchmark) to offer it to every
# simulator started under it; see `opscheck.simulator.forkserver`. Unset, as for a user,
# every start is cold.
FORK_SERVER = "OPSCHECK_FORK_SERVER"


def local_paths(target: Target) -> dict[str, str]:
    """Where the simulator's HTTP side serves each of the target's HTTP endpoints."""
    paths = {
        "health": urlsplit(target.app.health_url or "/health").path or "/",
        "sentry": "/sentry/api/0",
        "github": "/github",
    }
    for name, url in target.app.dependencies.items():
        paths[f"dependency:{name}"] = f"/dependencies/{name}{urlsplit(url).path}"
    return paths


def spawn(target: Target, catalog: Path, *options: str, stderr: Any) -> subprocess.Popen[str]:
    """Start `python -m opscheck.simulator` for a simulated target: it talks on its stdout
    and stops when its stdin closes. AWS settings of this process are not its own."""
    command = [sys.executable, "-m", "opscheck.simulator", "--target", str(target.path)]
    command += ["--catalog", str(catalog), *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )


class SimulatorError(RuntimeError):
    """The simulator did not start; the message carries what it said."""


@dataclass
class Simulator:
    aws_url: str
    http_url: str
    account: str
    credentials: dict[str, str]  # the read-only user's keys: moto enforces its policy
    process: subprocess.Popen[str] | None = None  # a cold simulator's process
    connection: socket.socket | None = None  # a forked one's line to it (see forkserver)
    postgres: str | None = None  # its PostgreSQL and Redis, when their binaries are here
    redis: str | None = None

    @classmethod
    def ready(cls, line: dict[str, Any], **how: Any) -> Simulator:
        """The simulator a ready line describes (printed cold, or sent by a forked one)."""
        return cls(
            line["aws"],
            line["http"],
            line["account"],
            line["credentials"],
            postgres=line.get("postgres"),
            redis=line.get("redis"),
            **how,
        )

    @classmethod
    def start(cls, target: Target, catalog: Path, faults: list[str]) -> Simulator:
        """Start the simulator for a simulated target and wait until it is seeded.

        Forked from the fork server `FORK_SERVER` offers, when it was seeded from this very
        target and catalog; otherwise, or if it does not answer, started cold.
        """
        offered = os.environ.get(FORK_SERVER)
        if offered:
            from opscheck.simulator import forkserver

            forked = forkserver.fork_if_offered(offered, target, catalog, faults)
            if forked is not None:
                return forked
        process = spawn(target, catalog, "--faults", ",".join(faults), stderr=subprocess.PIPE)
        assert process.stdout is not None
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                line = process.stdout.readline() if selector.select(READY_TIMEOUT_S) else ""
        except BaseException:  # Ctrl-C while it seeds: it must not go on seeding alone
            process.kill()
            process.wait()
            raise
        if not line:
            process.kill()
            _, err = process.communicate()
            tail = "\n".join(err.strip().splitlines()[-15:])
            raise SimulatorError(
                f"the simulator did not start (exit {process.returncode}):\n{tail}"
            )
        return cls.ready(json.loads(line), process=process)

    def shared(self) -> str:
        """What an xdist worker needs to join this simulator, as JSON (see `joined`)."""
        return json.dumps(
            {
                "aws_url": self.aws_url,
                "http_url": self.http_url,
                "account": self.account,
                "credentials": self.credentials,
                "postgres": self.postgres,
                "redis": self.redis,
            }
        )

    @classmethod
    def joined(cls, shared: str) -> Simulator:
        return cls(**json.loads(shared))

    def serve(self, target: Target) -> Target:
        """Return the target pointed at this simulator: AWS, the app, Sentry, GitHub, dependencies,
        and its PostgreSQL and Redis.

        Each is served by the simulator's HTTP side under a path of its own (see `paths`).
        """
        paths = local_paths(target)
        app = target.app.model_copy(
            update={
                "health_url": self.http_url + paths["health"] if target.app.health_url else None,
                "dependencies": {
                    n: self.http_url + paths[f"dependency:{n}"] for n in target.app.dependencies
                },
            }
        )
        update: dict[str, object] = {
            "aws": target.aws.model_copy(update={"endpoint_url": self.aws_url}),
            "app": app,
        }
        if target.simulator is not None:  # [postgres] and [redis] reach its servers
            update["simulator"] = target.simulator.model_copy(
                update={"postgres_url": self.postgres, "redis_url": self.redis}
            )
        for name in ("sentry", "github"):
            section = getattr(target, name)
            if section is not None:
                update[name] = section.model_copy(update={"api_base": self.http_url + paths[name]})
        return target.model_copy(update=update)

    def stop(self) -> None:
        """Stop the simulator this process started or was forked for; a joined one is left."""
        if self.connection is not None:
            # Hanging up stops it; its end closes when it has exited.
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(5)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
            self.connection.close()
            self.connection = None
        if self.process and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
