"""The runbook's commands, written for production, filled in for the target at hand.

The runbook names production's resources literally. The reference names are those of
`environments/production.toml` (the environment the runbook was written for); each is
replaced by the same resource's name in the target. Against an AWS-compatible endpoint
the aws CLI is pointed at it, so a copied command asks the same place the checks asked.
"""

from __future__ import annotations

from opscheck.target import Target


def fill(command: str, target: Target, reference: dict[str, str]) -> str:
    names = target.names()
    # Longest first, so a name that contains another is replaced whole.
    for key, old in sorted(reference.items(), key=lambda item: -len(item[1])):
        new = names.get(key)
        if new and new != old:
            command = command.replace(old, new)
    if target.aws.endpoint_url and command.startswith("aws "):
        command = f"aws --endpoint-url {target.aws.endpoint_url} {command[4:]}"
    return command
