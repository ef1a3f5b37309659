"""The tests' pytest server: each run is a pytest process of its own, forked from it."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests import helpers

CHECKS = """
import os
import time

def test_environment_and_folder():
    assert os.environ["OPSCHECK_TEST_MARK"] == "given"
    assert os.getcwd() == os.path.dirname(__file__)

def test_fails():
    assert False, "failed as written"

def test_sleeps():
    if os.environ.get("OPSCHECK_TEST_SLEEP"):
        time.sleep(60)
"""


def run(tmp_path, *args: str, timeout: float = 60, **env: str) -> tuple[int, str]:
    server = helpers.PYTEST_SERVER
    assert server is not None, "the session offers a pytest server"
    output = tmp_path / "output.txt"
    code = server.run(
        ["-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env={**os.environ, "OPSCHECK_TEST_MARK": "given", **env},
        output=output,
        timeout=timeout,
    )
    return code, output.read_text()


def test_a_run_has_its_own_folder_environment_output_and_exit_code(tmp_path):
    (tmp_path / "test_forked.py").write_text(CHECKS)
    code, output = run(tmp_path, "test_forked.py")
    assert code == pytest.ExitCode.TESTS_FAILED, output
    assert "1 failed, 2 passed" in output and "failed as written" in output
    code, output = run(tmp_path, "test_forked.py", "-k", "environment")
    assert code == pytest.ExitCode.OK, output
    assert "warning" not in output, "what pytest says of the server stays out of the run"
    assert "OPSCHECK_TEST_MARK" not in os.environ, "the child's environment stays its own"


def test_a_run_past_its_timeout_is_killed(tmp_path):
    (tmp_path / "test_forked.py").write_text(CHECKS)
    with pytest.raises(subprocess.TimeoutExpired):
        run(tmp_path, "test_forked.py", "-k", "sleeps", timeout=2, OPSCHECK_TEST_SLEEP="1")
    code, _ = run(tmp_path, "test_forked.py", "-k", "environment")
    assert code == pytest.ExitCode.OK, "the server serves on after a killed run"
