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

from opscheck.runbook import Runbook, Scenario
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


class Commands:
    """The runbook's commands for a check's message, filled in for the target checked.

    The reports print a failing scenario's diagnosis; a check quoting the one command that
    shows what it found (the log file with the refused connections) saves the search.
    """

    def __init__(self, runbook: Runbook, target: Target, reference: dict[str, str]) -> None:
        self.runbook, self.target, self.reference = runbook, target, reference

    def fill(self, command: str) -> str:
        """The command for this target, on one line (a message is read as one)."""
        return re.sub(r"\s*\\\n\s*", " ", fill(command, self.target, self.reference))

    def runbook_command(self, section: str, words: str) -> str:
        """The first command of the section (diagnosis, then branches) that holds `words`."""
        place = self.runbook.place(section)
        if isinstance(place, Scenario):
            found = [*place.diagnosis, *(c for b in place.branches for c in b.commands)]
        else:
            found = list(place.commands)
        for command in found:
            if words in command.text:
                return self.fill(command.text)
        return f"(the runbook's {place.name} has no command with {words!r} any more)"

    def rds_log(self, instance: str, file: str) -> str:
        """Where to read a line the RDS log holds: the runbook's listing, then the file."""
        listing = self.runbook_command("slow-performance", "describe-db-log-files")
        download = self.fill(
            f"aws rds download-db-log-file-portion --db-instance-identifier {instance} "
            f"--log-file-name {file} --starting-token 0 --output text "
            f"--region {self.target.aws.region}"
        )
        return f"the log: {listing}, then {download}"
