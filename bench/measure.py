"""What the benchmarks share: the simulated production at a latency, and pytest runs against it.

A run is `pytest` in a subprocess, as a user starts it, joined to a simulator this process
started (`SHARED_SIMULATOR`); it saves its evidence, which says how long the evidence pass
took and which AWS calls it made (counted by the read-only session's before-call hook).
Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opscheck.run import CATALOG, SHARED_SIMULATOR
from opscheck.simulator import Simulator
from opscheck.target import Target, load

ROOT = Path(__file__).resolve().parents[1]


def simulated_target(latency_ms: int, folder: Path) -> Target:
    """The simulated environment file, with the latency to add to every AWS call."""
    text = (ROOT / "environments" / "simulated.toml").read_text(encoding="utf-8")
    text = text.replace("latency_ms = 0", f"latency_ms = {latency_ms}")
    (folder / "environments").mkdir(exist_ok=True)
    (folder / "environments" / "simulated.toml").write_text(text, encoding="utf-8")
    if not (folder / "fixtures").exists():  # paths in the file are relative to it
        (folder / "fixtures").symlink_to(ROOT / "fixtures")
    return load("simulated", folder)


@contextmanager
def simulated(target: Target, faults: list[str]) -> Iterator[tuple[Simulator, float]]:
    """A simulator with these faults, offered to the runs started meanwhile; and its start time."""
    started = time.perf_counter()
    sim = Simulator.start(target, ROOT / CATALOG, faults)
    took = time.perf_counter() - started
    try:
        yield sim, took
    finally:
        sim.stop()


def run_once(
    evidence: Path, marker: str, sim: Simulator | None = None, *options: str
) -> tuple[float, int, float]:
    """Run pytest (`-m marker`; 'all': every check); return its wall time, exit status and
    CPU time (user and system).

    Joined to `sim`, or to the simulator already offered in this process's environment.
    """
    command = [
        sys.executable,
        "-m",
        "pytest",
        *(["-m", marker] if marker != "all" else []),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--save-evidence={evidence}",
        *options,
    ]
    env = dict(os.environ, **({SHARED_SIMULATOR: sim.shared()} if sim else {}))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"pytest exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, done.returncode, cpu


@dataclass(frozen=True)
class Run:
    """One timed run, the evidence it saved and its summary."""

    wall_s: float
    exit_code: int
    cpu_s: float
    evidence: dict[str, Any]
    summary: dict[str, Any]

    @property
    def evidence_s(self) -> float:
        return float(self.evidence["duration_s"])

    @property
    def api_calls(self) -> dict[str, int]:
        return dict(self.evidence["api_calls"])

    def value(self, source: str) -> dict[str, Any]:
        """What a source read, as saved ({} when it could not read)."""
        return dict(self.evidence["sources"].get(source, {}).get("value", {}))

    @property
    def counts(self) -> str:
        """How the checks ended: '1 failed, 63 passed'."""
        return ", ".join(f"{n} {outcome}" for outcome, n in self.summary["counts"].items() if n)


def run(evidence: Path, marker: str, sim: Simulator | None = None) -> Run:
    """Run pytest as `run_once` does, its reports beside the evidence; read what it saved."""
    reports = evidence.with_suffix(".reports")
    wall, code, cpu = run_once(evidence, marker, sim, f"--report-dir={reports}")
    return Run(
        wall,
        code,
        cpu,
        json.loads(evidence.read_text(encoding="utf-8")),
        json.loads((reports / "summary.json").read_text(encoding="utf-8")),
    )
