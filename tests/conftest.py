"""Shared helpers for opscheck's own tests."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

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


def run_checks(
    tmp_path: Path, *args: str, timeout: float = 180, env: dict | None = None
) -> Outcome:
    """Run the checks of this repository as a user would, in a subprocess; read summary.json."""
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
    """A pytester project holding this one's runbook, environments, catalog and check fixtures."""
    for relative in (
        "runbook/incident-response.md",
        "environments/production.toml",
        "environments/simulated.toml",
        "conftest.py",
    ):
        destination = pytester.path / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text((ROOT / relative).read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(ROOT / "fixtures", pytester.path / "fixtures")
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    (pytester.path / "checks").mkdir()
    return pytester
