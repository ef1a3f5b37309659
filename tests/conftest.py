"""Shared helpers for opscheck's own tests."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from moto.server import ThreadedMotoServer
from requests.structures import CaseInsensitiveDict

from opscheck.simulator import FORK_SERVER, Simulator
from opscheck.simulator.forkserver import ForkServer, fork
from opscheck.target import load

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


def load_checks(name: str) -> ModuleType:
    """checks/ is not a package: load a check module by path, under a name pytest never uses."""
    path = ROOT / "checks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"opscheck_checks_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class CheckResult:
    name: str
    outcome: str  # passed, failed, inconclusive
    section: str
    cause: str | None
    severity: str
    message: str


@dataclass
class Outcome:
    returncode: int
    output: str
    checks: dict[str, CheckResult]

    def named(self, outcome: str) -> set[str]:
        return {name for name, c in self.checks.items() if c.outcome == outcome}


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


def simulator(faults: list[str] | tuple[str, ...] = ()) -> Simulator:
    """A simulator of the simulated environment with these faults, for this test alone.

    Forked from the fork server this process offers (read from the environment: test
    modules import this file apart from the copy pytest loads); `stop()` it when done.
    """
    return fork(json.loads(os.environ[FORK_SERVER])["socket"], list(faults))


def run_checks(
    tmp_path: Path,
    *args: str,
    timeout: float = 180,
    env: dict | None = None,
    forked: bool = True,
) -> Outcome:
    """Run the checks of this repository as a user would, in a subprocess; read summary.json.

    A run against the simulated environment starts its simulator as a user's does, forked
    from the fork server this process offers (`FORK_SERVER`); with `forked=False` it is
    offered none and starts a cold one.
    """
    reports = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--report-dir={reports}",
        *args,
    ]
    if not forked:
        env = {k: v for k, v in (os.environ if env is None else env).items() if k != FORK_SERVER}
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
    checks = {}
    summary = reports / "summary.json"
    if summary.exists():
        for c in json.loads(summary.read_text(encoding="utf-8"))["checks"]:
            checks[c["check"]] = CheckResult(
                name=c["check"],
                outcome=c["outcome"],
                section=c["section"],
                cause=c["cause"],
                severity=c["severity"],
                message=c["message"],
            )
    return Outcome(done.returncode, done.stdout + done.stderr, checks)


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


# -- local HTTP servers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request a local server received."""

    method: str
    path: str  # without the query string
    query: str  # the query string as sent, without the "?"
    headers: CaseInsensitiveDict[str]
    body: bytes

    @property
    def params(self) -> dict[str, list[str]]:
        """The query string, parsed."""
        return parse_qs(self.query)

    def json(self) -> Any:
        """The body, parsed as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body, parsed as a form (as AWS query-protocol requests send it)."""
        return dict(parse_qsl(self.body.decode()))


@dataclass(frozen=True)
class Reply:
    """What a local server answers; a body that is not bytes or str is sent as JSON."""

    status: int = 200
    body: Any = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # cut short at teardown

    def payload(self) -> bytes:
        """The body as sent."""
        if isinstance(self.body, bytes):
            return self.body
        return (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()


@dataclass(frozen=True)
class LocalServer:
    """A running local server: its URL and every request it received, in order."""

    url: str
    requests: list[Request]


Answer = Callable[[Request], Reply]  # what a local server does with each request
StartServer = Callable[[Answer], LocalServer]  # the local_server fixture


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


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server on 127.0.0.1 for a test module (its backends are shared by the process)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
