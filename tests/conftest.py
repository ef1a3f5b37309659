"""Fixtures of opscheck's own tests; what they share besides fixtures is in helpers.py."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from moto.server import ThreadedMotoServer
from requests.structures import CaseInsensitiveDict

from opscheck.simulator import FORK_SERVER, servers
from opscheck.simulator.forkserver import ForkServer
from opscheck.target import load
from tests import helpers
from tests.helpers import (
    ECS_JSON,
    ROOT,
    Answer,
    LocalServer,
    Reply,
    Request,
    Serve,
    StartServer,
    without_server,
)
from tests.pytest_server import PytestServer

pytest_plugins = ["pytester"]


# -- simulators, forked from one seeded fork server per test process ------------------------


@pytest.fixture(scope="session", autouse=True)
def _fork_server_offered() -> Iterator[None]:
    """One fork server per test process, offered to every simulator started under it.

    Any run of the checks against the simulated environment, in this process (pytester) or
    in a subprocess (`run_checks`), then gets a simulator forked with its own faults in well
    under a second instead of a cold one in seconds; the simulator is as much its own. The
    fork server stops with the session, and each simulator with the run that asked for it.
    """
    server = ForkServer.start(load("simulated", ROOT), ROOT / "fixtures/faults")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(FORK_SERVER, server.offer())
            yield
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _pytest_server_offered() -> Iterator[None]:
    """One pytest server per test process: `run_checks` forks each run of the checks from
    it rather than starting Python and importing pytest, botocore and opscheck again."""
    server = PytestServer.start()
    helpers.PYTEST_SERVER = server
    try:
        yield
    finally:
        helpers.PYTEST_SERVER = None
        server.stop()


# -- real PostgreSQL and Redis servers, one of each per test process, started when first asked


def started(start: Callable[..., servers.Server], **config: str) -> servers.Server:
    """A server, or the test skipped when its binaries are missing (failed under CI)."""
    try:
        return start(**config)
    except servers.ServerUnavailable as missing:
        without_server(missing)


# The superuser gets in without a password; every other role needs its own (SCRAM).
HBA = "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL superuser URL of this process's own server; other roles need passwords."""
    folder = tmp_path_factory.mktemp("pg_hba")
    hba = servers.scratch() / f"opscheck-hba-{os.getpid()}-{folder.name}"
    hba.write_text(HBA)
    hba.chmod(0o644)  # PostgreSQL runs as another account under root
    server = started(servers.start_postgres, hba_file=str(hba))
    yield server.url
    server.stop()
    hba.unlink()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of this process's own redis-server, no password."""
    server = started(servers.start_redis)
    yield server.url
    server.stop()


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project holding this one's runbook, environments and catalog.

    No conftest.py: the checks' fixtures come from the plugin, as in a team's own project.
    """
    for relative in (
        "runbook/incident-response.md",
        "environments/production.toml",
        "environments/simulated.toml",
    ):
        destination = pytester.path / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text((ROOT / relative).read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(ROOT / "fixtures", pytester.path / "fixtures")
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    (pytester.path / "checks").mkdir()
    return pytester


# -- AWS ---------------------------------------------------------------------------------------


@pytest.fixture
def no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_* and proxy variables of the machine running the tests must not reach the sessions."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server on 127.0.0.1 for a test module (its backends are shared by the process)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# -- local HTTP servers ----------------------------------------------------------------------


@pytest.fixture
def local_server() -> Iterator[StartServer]:
    """Start HTTP servers on 127.0.0.1 that answer with answer(request); all stop at teardown."""
    release = threading.Event()
    started: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> LocalServer:
        received: list[Request] = []

        class Handler(BaseHTTPRequestHandler):
            def respond(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parts.query,
                    headers=CaseInsensitiveDict(self.headers.items()),
                    body=self.rfile.read(length),
                )
                received.append(request)
                reply = answer(request)
                if reply.delay_s:
                    release.wait(reply.delay_s)
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up waiting

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = respond

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        started.append(httpd)
        return LocalServer(f"http://127.0.0.1:{httpd.server_address[1]}", received)

    yield start
    release.set()
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def serve(local_server: StartServer) -> Serve:
    """A local server that answers every request the same way."""

    def start(
        status: int = 200,
        body: bytes | dict[str, object] = b"{}",
        content_type: str = ECS_JSON,
        delay_s: float = 0.0,
    ) -> LocalServer:
        reply = Reply(status, body, content_type, delay_s=delay_s)
        return local_server(lambda request: reply)

    return start
