"""What the workflows do: the gate's inputs and verdict, the reports they upload, the audit,
the example deploy, CI; and the gate's shell steps, run here with a stand-in pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.workflows.helpers import (
    AWS_CREDENTIALS,
    WORKFLOWS,
    action,
    load,
    step,
    triggers,
)

# --- what the workflows do ---------------------------------------------------------------------


def test_the_gate_is_callable_with_its_inputs_secret_and_verdict():
    doc = load(WORKFLOWS / "deploy-gate.yml")
    call = triggers(doc)["workflow_call"]
    assert set(triggers(doc)) == {"workflow_call"}
    inputs = call["inputs"]
    assert {k: v.get("default") for k, v in inputs.items()} == {
        "environment": "production",
        "markers": "readiness or health",
        "role-to-assume": None,
        "aws-region": "us-east-2",
    }
    assert inputs["role-to-assume"]["required"] is True
    assert call["secrets"]["SENTRY_AUTH_TOKEN"]["required"] is False
    assert call["outputs"]["verdict"]["value"] == "${{ jobs.gate.outputs.verdict }}"
    job = doc["jobs"]["gate"]
    assert job["outputs"]["verdict"] == "${{ steps.verdict.outputs.verdict }}"
    # The OIDC subject is repo:OWNER/NAME:environment:ENV, what `opscheck.iam trust` expects.
    assert job["environment"] == "${{ inputs.environment }}"
    credentials = next(s for s in job["steps"] if action(s) == AWS_CREDENTIALS)
    assert credentials["with"] == {
        "role-to-assume": "${{ inputs.role-to-assume }}",
        "aws-region": "${{ inputs.aws-region }}",
    }
    checks = step(doc, "gate", "Run the checks")
    assert checks["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert checks["env"]["SENTRY_AUTH_TOKEN"] == "${{ secrets.SENTRY_AUTH_TOKEN }}"
    assert step(doc, "gate", "Block the deploy")["if"] == "steps.verdict.outputs.verdict == 'block'"


def uploads(doc: dict, job: str) -> list[dict]:
    return [s for s in doc["jobs"][job]["steps"] if action(s) == "actions/upload-artifact"]


@pytest.mark.parametrize(
    ("name", "job"),
    [("deploy-gate.yml", "gate"), ("audit.yml", "audit"), ("incident.yml", "check")],
)
def test_reports_are_uploaded_even_when_the_job_fails(name, job):
    doc = load(WORKFLOWS / name)
    upload, *records = uploads(doc, job)  # and the incident's record, for its next run
    assert upload["if"] == "always()"
    assert "reports/" in upload["with"]["path"]
    assert all(r["if"].startswith("always() && ") for r in records)
    # No step hides a failure: the job fails when the checks do.
    assert not any("continue-on-error" in s for s in doc["jobs"][job]["steps"])


def test_the_audit_runs_every_check_and_uploads_the_html_report():
    doc = load(WORKFLOWS / "audit.yml")
    assert set(triggers(doc)) == {"schedule", "workflow_dispatch"}
    assert step(doc, "audit", "Audit every check")["run"] == "pytest -n 4 --env=production"
    report = step(doc, "audit", "HTML report")
    assert report["run"] == "npm run report"
    assert "cancelled()" in report["if"]
    paths = uploads(doc, "audit")[0]["with"]["path"].split()
    assert {"reports/html/index.html", "reports/summary.json", "reports/summary.md"} <= set(paths)


def test_the_example_deploys_only_after_the_gate_lets_it():
    doc = load(WORKFLOWS / "deploy-example.yml")
    gate, deploy = doc["jobs"]["gate"], doc["jobs"]["deploy"]
    assert gate["uses"] == "./.github/workflows/deploy-gate.yml"
    assert deploy["needs"] == "gate"
    assert deploy["if"] == (
        "needs.gate.outputs.verdict == 'pass' || needs.gate.outputs.verdict == 'warn'"
    )
    assert deploy["permissions"] == {}


def test_ci_runs_what_ci_run_runs():
    doc = load(WORKFLOWS / "ci.yml")
    assert set(triggers(doc)) == {"push", "pull_request"}
    runs = "\n".join(s.get("run", "") for s in doc["jobs"]["test"]["steps"])
    for command in (
        "pip install --quiet -e '.[dev]'",
        "npm ci",
        "ruff check src tests checks bench conftest.py",
        "pytest tests -n 2",
    ):
        assert command in runs
        assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# --- the shell steps, run with a stand-in pytest -----------------------------------------------


def run_step(tmp_path: Path, entry: dict, env: dict[str, str], status: int = 0) -> dict:
    """Run a step's script as GitHub runs it (bash -e), with `pytest` a stand-in that records
    its arguments and exits with `status`; return the arguments and the step's outputs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "pytest"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\nexit {status}\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    script = tmp_path / "step.sh"
    script.write_text(entry["run"], encoding="utf-8")
    outputs = tmp_path / "outputs"
    outputs.write_text("", encoding="utf-8")
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]])
    done = subprocess.run(
        ["bash", "-e", str(script)],
        cwd=tmp_path,
        env={**os.environ, **env, "PATH": path, "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    args = tmp_path / "args"
    return {
        "returncode": done.returncode,
        "args": args.read_text(encoding="utf-8").splitlines() if args.exists() else None,
        "outputs": dict(line.split("=", 1) for line in outputs.read_text().splitlines()),
    }


@pytest.mark.parametrize("status", [0, 1, 5])
def test_the_gate_runs_the_checks_and_keeps_their_exit_status(tmp_path, status):
    entry = step(load(WORKFLOWS / "deploy-gate.yml"), "gate", "Run the checks")
    env = {"MARKERS": "readiness or health", "ENVIRONMENT": "production"}
    ran = run_step(tmp_path, entry, env, status=status)
    assert ran["returncode"] == 0
    assert ran["args"] == ["-m", "readiness or health", "--env=production", "--fail-on", "p1"]
    assert ran["outputs"] == {"status": str(status)}


@pytest.mark.parametrize(
    ("status", "summary", "verdict"),
    [
        (0, {"gate": {"fail_on": "P1", "decision": "pass"}}, "pass"),
        (0, {"gate": {"fail_on": "P1", "decision": "warn"}}, "warn"),
        (1, {"gate": {"fail_on": "P1", "decision": "block"}}, "block"),
        (0, {"verdict": "pass"}, "pass"),  # summary.json without the gate: the exit status
        (0, {"gate": None}, "pass"),
        (0, None, "pass"),
        (1, None, "block"),
        (2, None, "block"),  # interrupted
        (4, None, "block"),  # usage error
        (5, None, "block"),  # no checks selected
        (5, {"gate": {"fail_on": "P1", "decision": "pass"}}, "block"),
    ],
)
def test_the_gate_verdict(tmp_path, status, summary, verdict):
    if summary is not None:
        (tmp_path / "reports").mkdir()
        (tmp_path / "reports" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    entry = step(load(WORKFLOWS / "deploy-gate.yml"), "gate", "Verdict")
    ran = run_step(tmp_path, entry, {"STATUS": str(status)})
    assert ran["returncode"] == 0
    assert ran["outputs"] == {"verdict": verdict}


@pytest.mark.parametrize(
    ("start", "expected"),
    [("", []), ("14:05", ["--incident-start=14:05"]), ("2026-11-26T14:05Z", None)],
)
def test_the_incident_run_passes_the_start_only_when_given(tmp_path, start, expected):
    entry = step(load(WORKFLOWS / "incident.yml"), "check", "Run the checks")
    markers = "high-error-rate or p0"
    env = {"MARKERS": markers, "ENVIRONMENT": "production", "INCIDENT_START": start, "INCIDENT": ""}
    ran = run_step(tmp_path, entry, env, status=1)
    assert ran["returncode"] == 1  # the job fails with the checks
    if expected is None:
        expected = [f"--incident-start={start}"]
    assert ran["args"] == ["-m", markers, "--env=production", *expected]


def test_the_incident_run_carries_a_named_incident(tmp_path):
    entry = step(load(WORKFLOWS / "incident.yml"), "check", "Run the checks")
    env = {"MARKERS": "p0", "ENVIRONMENT": "production", "INCIDENT_START": "", "INCIDENT": "db-1"}
    ran = run_step(tmp_path, entry, env, status=1)
    assert ran["args"] == ["-m", "p0", "--env=production", "--incident=db-1"]


@pytest.mark.parametrize(("kept_by", "restored"), [("102", True), ("", False)])
def test_the_incident_record_is_restored_from_the_last_run_that_kept_it(
    tmp_path, kept_by, restored
):
    """`gh` stands in too: runs 103 (this one), 102 and 101 are listed, newest first; only
    `kept_by` has the record's artifact, and the newest one that has it is taken."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        "#!/bin/sh\n"
        'if [ "$2" = list ]; then printf "103\\n102\\n101\\n"; exit 0; fi\n'
        f'if [ "$3" = "{kept_by}" ]; then\n'
        '  mkdir -p "$7" && echo "$3" > "$7/record.json"; exit 0\n'
        "fi\n"
        'echo "$3" >> tried; exit 1\n',
        encoding="utf-8",
    )
    gh.chmod(0o755)
    doc = load(WORKFLOWS / "incident.yml")
    entry = step(doc, "check", "Restore the incident record")
    assert entry["if"] == "inputs.incident != ''"
    ran = run_step(tmp_path, entry, {"INCIDENT": "db-1"})
    assert ran["returncode"] == 0
    record = tmp_path / "reports" / "incidents" / "db-1" / "record.json"
    assert record.exists() == restored
    tried = (tmp_path / "tried").read_text().split()
    assert tried == (["103"] if restored else ["103", "102", "101"])
    if restored:
        assert record.read_text().strip() == "102"
    kept = uploads(doc, "check")[-1]
    assert kept["with"]["path"] == "reports/incidents/${{ inputs.incident }}/"
    assert kept["with"]["name"] == "opscheck-incident-${{ inputs.incident }}"
