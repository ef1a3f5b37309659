"""The simulator process: moto's server and the app's HTTP side over one seeded world.

Used two ways by `python -m opscheck.simulator`: cold (boot, seed, stage the faults, serve:
what `pytest --simulate` starts), and as a fork server (`forkserver.serve`), which seeds
once and then stages each run's faults in a forked copy of itself. Both open a world the
same way (`Simulation.open`), so a forked simulator is the cold one, started sooner.
"""

from __future__ import annotations

import io
import logging
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from moto.moto_api._internal import mock_random
from moto.moto_api._internal.models import moto_api_backend
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from opscheck.simulator import app, effects, paging
from opscheck.simulator.catalog import Fault
from opscheck.simulator.databases import Databases
from opscheck.simulator.effects import access
from opscheck.simulator.world import ACCOUNT, World
from opscheck.target import Target


def with_latency(wsgi: Any, latency_ms: int) -> Any:
    """Wrap a WSGI app so every request takes at least latency_ms, like a round trip to a region."""
    if latency_ms <= 0:
        return wsgi

    def delayed(environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(latency_ms / 1000)
        return wsgi(environ, start_response)

    return delayed


def with_answers(wsgi: Any, world: dict[str, World]) -> Any:
    """Answer the query-protocol actions moto lacks (effects.ANSWERS) before moto sees them."""

    def answering(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST" and effects.ANSWERS and "world" in world:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size)
            environ["wsgi.input"] = io.BytesIO(body)
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            action = params.get("Action", "")
            if action in effects.ANSWERS:
                payload = effects.ANSWERS[action](world["world"], params).encode()
                start_response(
                    "200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))]
                )
                return [payload]
        return wsgi(environ, start_response)

    return answering


@dataclass
class Simulation:
    """One process's simulated production: moto's WSGI app, its server, and the world in it."""

    target: Target
    wsgi: Any
    slot: dict[str, World]  # the world the AWS answers read; set once seeded
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None
    http: socketserver.BaseServer | None = None  # the app's side, once open
    databases: Databases = field(default_factory=Databases)  # PostgreSQL and Redis, if here
    seeded_at: float = field(default_factory=time.monotonic)

    @classmethod
    def boot(cls, target: Target) -> Simulation:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        effects.load_all()
        paging.install()  # moto answers in one page what AWS pages
        slot: dict[str, World] = {}
        latency_ms = target.simulator.latency_ms if target.simulator else 0
        moto = DomainDispatcherApplication(create_backend_app)
        simulation = cls(target, with_latency(with_answers(moto, slot), latency_ms), slot)
        simulation.databases = Databases.start(target)
        return simulation

    @property
    def world(self) -> World:
        return self.slot["world"]

    def serve_aws(self) -> str:
        """Serve moto on a free port of 127.0.0.1 (the same one again, once bound) and return
        its URL: the world's clients are costly to make and stay valid across reseeds."""
        if self.server is None:
            self.server = make_server(
                "127.0.0.1", 0, self.wsgi, threaded=True, request_handler=MotoRequestHandler
            )
        # socketserver's loop, not werkzeug's, which closes the socket when it stops.
        self.thread = threading.Thread(
            target=socketserver.BaseServer.serve_forever,
            args=(self.server, 0.05),
            daemon=True,
            name="simulated-aws",
        )
        self.thread.start()
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def seed(self) -> None:
        """Seed a healthy world from scratch (moto's state is reset first)."""
        moto_api_backend.reset()
        aws_url = self.serve_aws()
        world = self.slot.get("world")
        self.slot["world"] = World(self.target, aws_url, clients=world.clients if world else {})
        effects.seed_world(self.world)
        self.warm()
        self.seeded_at = time.monotonic()

    def age(self) -> float:
        """Seconds since the world was seeded: what its recent past has drifted by."""
        return time.monotonic() - self.seeded_at

    def warm(self) -> None:
        """Make the first calls a run makes that seeding did not, so no forked copy pays for
        their lazy imports: IAM (the lock) and STS (the checks' first question)."""
        self.world.client("iam").list_users()
        self.world.client("sts").get_caller_identity()

    def quiesce(self, timeout_s: float = 5.0) -> None:
        """Stop serving and wait until this process has one thread, so it can fork safely.

        The port stays bound (see `serve_aws`) but nothing answers on it.
        """
        self.world.hang_up()
        if self.server is not None and self.thread is not None:
            self.server.shutdown()
            self.thread.join(timeout_s)
        self.thread = None
        deadline = time.monotonic() + timeout_s
        while threading.active_count() > 1 and time.monotonic() < deadline:
            time.sleep(0.005)  # request threads finishing their last answer
        if threading.active_count() > 1:
            names = ", ".join(t.name for t in threading.enumerate())
            raise RuntimeError(f"threads still running, cannot fork: {names}")

    def open(self, faults: list[Fault]) -> dict[str, Any]:
        """Stage the faults, lock access and serve the app; return the ready line's fields.

        CatalogError if a fault's effects are not what the simulator can stage.
        """
        world = self.world
        if self.thread is None:  # a forked copy: the port it inherited is its parent's
            assert self.server is not None
            self.server.server_close()
            self.server = None
            # moto draws ids and access keys from its own generator, which a fork copies.
            mock_random.seed()
            world.move(self.serve_aws())
        urls = self.databases.open_run()
        world.postgres_url, world.redis_url = urls["postgres"], urls["redis"]
        for fault in faults:
            effects.stage(world, fault)
        for done in effects.FINISHERS:
            done(world)
        credentials = access.lock(world)  # from here on, only the read-only user gets in
        self.http = app.serve(world.responses)
        return {
            "aws": world.aws_url,
            "http": f"http://127.0.0.1:{self.http.server_address[1]}",
            "account": ACCOUNT,
            "credentials": credentials,
            "postgres": world.postgres_url,
            "redis": world.redis_url,
        }

    def close(self) -> None:
        """Stop listening, so a port is refused the moment its owner hears this process end;
        drop the run's database."""
        for server in (self.server, self.http):
            if server is not None:
                server.socket.close()
        self.world.hang_up_sessions()
        self.databases.close_run()
