"""Runs of `python -m pytest`, each forked from one process that has imported it all once.

The end-to-end tests run the checks as a user does, in a process of their own. Starting
Python and importing pytest, botocore, pydantic and opscheck costs more than a second of CPU
before a run reads anything, and the suite makes about a hundred runs. This server pays it
once: it imports what every run imports, then forks a child per run. The child is a pytest
process like any other: its own working folder, environment, arguments and output file,
`pytest.main` with its arguments, its exit code returned. Nothing has
run in the server but imports, so nothing a run does reaches the next.

Requests and answers are JSON lines on the server's standard input and output; it exits
when its standard input closes, so it never outlives the test process that started it.

    server = PytestServer.start()
    returncode = server.run(["-m", "p0"], cwd=ROOT, env=env, output=path, timeout=180)
    server.stop()
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# What every run imports, loaded once in the server (the plugins pytest finds by their entry
# points, opscheck's own modules, botocore's and pydantic's).
PRELOAD = (
    "pytest",
    "xdist.plugin",
    "allure_pytest.plugin",
    "botocore.session",
    "opscheck.plugin",
    "opscheck.session",
    "opscheck.fixtures",
    "opscheck.evidence",
    "opscheck.reports.publish",
)
# The plugins are imported already, in the server alone: pytest's note that it cannot
# rewrite their asserts is about the server, not about the run.
QUIET = (
    "-W",
    "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning",
)


@dataclass
class PytestServer:
    """The asking side: a running server and its pipes."""

    process: subprocess.Popen[str]

    @classmethod
    def start(cls) -> PytestServer:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.pytest_server"],
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return cls(process)

    def run(
        self, args: list[str], *, cwd: Path, env: dict[str, str], output: Path, timeout: float
    ) -> int:
        """Run `python -m pytest ARGS` in a forked child; its output goes to `output`.

        subprocess.TimeoutExpired when it ran longer than `timeout` (it is killed), as
        `subprocess.run` raises.
        """
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {
            "args": args,
            "cwd": str(cwd),
            "env": env,
            "output": str(output),
            "timeout": timeout,
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the pytest server exited ({self.process.poll()})")
        answer = json.loads(line)
        if answer["returncode"] is None:
            raise subprocess.TimeoutExpired(["pytest", *args], timeout)
        return int(answer["returncode"])

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


# -- the serving side ------------------------------------------------------------------------


def _child(request: dict) -> None:
    """In the forked child: become `python -m pytest ARGS` and exit with its code."""
    code = 70
    try:
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [sys.executable, *request["args"]]
        sys.path[0] = request["cwd"]  # as `python -m` puts the working folder first
        import pytest

        code = int(pytest.main([*QUIET, *request["args"]]))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout: float) -> int | None:
    """The child's exit code, or None once it was killed for running past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)


def _parse_service_models() -> None:
    """Build a client of each service the checks read, as a run does: botocore's models and
    endpoint rules are then parsed once, here, and every run's clients are built from them
    (opscheck keeps one model loader per process)."""
    from opscheck.aws import IAM_PREFIX, _session
    from opscheck.evidence.base import read_actions

    botocore_name = {prefix: service for service, prefix in IAM_PREFIX.items()}
    session = _session("us-east-1", aws_access_key_id="unused", aws_secret_access_key="unused")
    for prefix in sorted({action.partition(":")[0] for action in read_actions()}):
        session.create_client(botocore_name.get(prefix, prefix), endpoint_url="http://127.0.0.1:9")


def serve() -> None:
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    _parse_service_models()
    # What was imported stays for good: out of the collector's passes, in the children too,
    # and their pages shared with the server rather than copied when a pass touches them.
    gc.freeze()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        returncode = _wait(pid, request["timeout"])
        print(json.dumps({"returncode": returncode}), flush=True)


if __name__ == "__main__":
    serve()
