"""The runbook's commands, written for production, filled in for the target at hand.

The runbook names production's resources literally. The reference names are those of
`environments/production.toml` (the environment the runbook was written for); each is
replaced by the same resource's name in the target. Against an AWS-compatible endpoint
the aws CLI is pointed at it, so a copied command asks the same place the checks asked.
Facts the checks established replace what the runbook could only guess: its rollback
revision (`saaspe-production-backend:2`) becomes the revision the evidence found, and
`gh run rerun <run-id>` the last successful deploy run.
"""

from __future__ import annotations

import re

from opscheck.target import Target


def fill(
    command: str, target: Target, reference: dict[str, str], facts: dict[str, str] | None = None
) -> str:
    names = target.names()
    # Longest first, so a name that contains another is replaced whole.
    for key, old in sorted(reference.items(), key=lambda item: -len(item[1])):
        new = names.get(key)
        if new and new != old:
            command = command.replace(old, new)
    rollback_to = (facts or {}).get("rollback_to")
    if rollback_to:
        family = re.escape(target.ecs.task_family)
        command = re.sub(
            rf"--task-definition {family}:\d+\b", f"--task-definition {rollback_to}", command
        )
    rerun = (facts or {}).get("rerun_run_id")
    if rerun:
        command = command.replace("gh run rerun <run-id>", f"gh run rerun {rerun}")
    if target.aws.endpoint_url and command.startswith("aws "):
        command = f"aws --endpoint-url {target.aws.endpoint_url} {command[4:]}"
    return command
