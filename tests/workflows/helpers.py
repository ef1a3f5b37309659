"""The GitHub Actions workflows of this repository, parsed."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
EXPECTED = {"ci.yml", "deploy-gate.yml", "deploy-example.yml", "audit.yml", "incident.yml"}


AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
CHECKOUT = "actions/checkout"


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
