"""Shared helpers for opscheck's own tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


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


def run_checks(tmp_path: Path, *args: str, timeout: float = 180) -> Outcome:
    """Run the checks of this repository as a user would, in a subprocess, and read the results."""
    junit = tmp_path / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *args,
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    checks = {}
    if junit.exists():
        for case in ET.parse(junit).iter("testcase"):
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            message = "" if problem is None else problem.get("message", "")
            if problem is None:
                outcome = "passed"
            elif "INCONCLUSIVE: " in message:  # setup errors read 'failed on setup with ...'
                outcome = "inconclusive"
            else:
                outcome = "failed"
            checks[case.get("name")] = CheckResult(
                name=case.get("name"),
                outcome=outcome,
                section=props.get("opscheck.section", ""),
                cause=props.get("opscheck.cause") or None,
                severity=props.get("opscheck.severity", ""),
                message=message,
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
