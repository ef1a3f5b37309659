"""Ctrl-C while the simulated production starts: the run ends at once and leaves no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(child) for child in text.split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_ctrl_c_while_the_simulator_seeds_leaves_nothing_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OPSCHECK_FORK_SERVER"}  # a cold start
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "p0"]
    run = subprocess.Popen(
        [*command, "--simulate=bad-deployment", f"--report-dir={tmp_path}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not children(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    simulator = children(run.pid)
    assert simulator, "the simulator never started"
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=20)
    assert run.returncode == 2, out
    assert "Traceback" not in out
    time.sleep(0.5)
    assert [pid for pid in simulator if alive(pid)] == []
