"""The IAM policies opscheck prints: read-only, and exactly what its sources use."""

from __future__ import annotations

import json
import subprocess
import sys

from opscheck.aws import READ_VERBS
from opscheck.evidence import SOURCES, read_actions
from opscheck.iam import policy, trust
from tests.helpers import ROOT


def test_the_policy_grants_exactly_the_declared_read_actions():
    actions = policy()["Statement"][0]["Action"]
    assert actions == sorted(read_actions())
    assert {a for s in SOURCES.values() for a in s.actions} == set(actions)
    assert all(a.partition(":")[2].startswith(READ_VERBS) for a in actions)
    assert "ecs:DescribeServices" in actions and "rds:DescribePendingMaintenanceActions" in actions
    assert {"rds:DescribeDBLogFiles", "rds:DownloadDBLogFilePortion"} <= set(actions)


def test_the_trust_policy_is_limited_to_one_repository_environment():
    condition = trust("acme/ops", "production", "123456789012")["Statement"][0]["Condition"]
    assert condition["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/ops:environment:production"
    )


def matches(policy_document: dict, claims: dict[str, str]) -> bool:
    """Evaluate the trust policy's StringEquals as IAM does: every key, any of its values."""
    condition = policy_document["Statement"][0]["Condition"]["StringEquals"]
    for key, allowed in condition.items():
        values = allowed if isinstance(allowed, list) else [allowed]
        if claims.get(key.removeprefix("token.actions.githubusercontent.com:")) not in values:
            return False
    return True


NAME_FORM = {"aud": "sts.amazonaws.com", "sub": "repo:acme/ops:environment:production"}
ID_FORM = {"aud": "sts.amazonaws.com", "sub": "repo:acme@101/ops@202:environment:production"}


def test_the_trust_policy_accepts_both_subject_forms_given_the_ids():
    both = trust("acme/ops", "production", "123456789012", owner_id=101, repo_id=202)
    assert matches(both, NAME_FORM) and matches(both, ID_FORM)
    # A recycled name with other ids, another environment, another audience: refused.
    assert not matches(both, {**ID_FORM, "sub": "repo:acme@999/ops@202:environment:production"})
    assert not matches(both, {**NAME_FORM, "sub": "repo:acme/ops:environment:staging"})
    assert not matches(both, {**NAME_FORM, "aud": "https://github.com/acme"})
    names_only = trust("acme/ops", "production", "123456789012")
    assert matches(names_only, NAME_FORM) and not matches(names_only, ID_FORM)


def test_the_command_says_how_to_trust_the_immutable_form():
    command = [sys.executable, "-m", "opscheck.iam", "trust", "--repo", "acme/ops"]
    command += ["--environment", "production", "--account", "123456789012"]
    plain = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert plain.returncode == 0 and "--owner-id and --repo-id" in plain.stderr
    assert matches(json.loads(plain.stdout), NAME_FORM)
    both = subprocess.run(
        [*command, "--owner-id", "101", "--repo-id", "202"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert both.returncode == 0 and both.stderr == ""
    assert matches(json.loads(both.stdout), ID_FORM)
    half = subprocess.run([*command, "--owner-id", "101"], cwd=ROOT, capture_output=True, text=True)
    assert half.returncode == 2 and "both --owner-id and --repo-id" in half.stderr


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
