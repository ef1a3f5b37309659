"""The IAM policies opscheck prints: read-only, and exactly what its sources use."""

from __future__ import annotations

import json
import subprocess
import sys

from opscheck.aws import READ_VERBS
from opscheck.evidence import SOURCES, read_actions
from opscheck.iam import policy, trust
from tests.conftest import ROOT


def test_the_policy_grants_exactly_the_declared_read_actions():
    actions = policy()["Statement"][0]["Action"]
    assert actions == sorted(read_actions())
    assert {a for s in SOURCES.values() for a in s.actions} == set(actions)
    assert all(a.partition(":")[2].startswith(READ_VERBS) for a in actions)
    assert "ecs:DescribeServices" in actions and "rds:DescribePendingMaintenanceActions" in actions


def test_the_trust_policy_is_limited_to_one_repository_environment():
    condition = trust("acme/ops", "production", "123456789012")["Statement"][0]["Condition"]
    assert condition["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/ops:environment:production"
    )


def test_the_command_prints_json_and_refuses_bad_input():
    printed = subprocess.run(
        [sys.executable, "-m", "opscheck.iam", "policy"], cwd=ROOT, capture_output=True, text=True
    )
    assert json.loads(printed.stdout) == policy()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "opscheck.iam",
            "trust",
            "--repo",
            "ops",
            "--environment",
            "p",
            "--account",
            "x",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "expected --repo owner/name" in bad.stderr
