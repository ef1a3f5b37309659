"""How a check maps to the runbook: its scenario, the cause it detects, its kind.

Read from the check's markers at collection. A check with no mapping, or one naming a
scenario or cause the runbook does not have, is an error before anything runs: a runbook
edit that drops a section a check relies on must not go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opscheck.runbook import Runbook

KINDS = {
    "health": "is it working now",
    "config": "is it set up right",
    "readiness": "can we deploy and roll back",
}


@dataclass(frozen=True)
class Mapping:
    scenario: str  # slug
    cause: str | None  # cause slug; None for a check of a symptom
    kind: str
    severity: str  # "P0"

    def as_properties(self) -> list[tuple[str, str]]:
        """The mapping as user_properties: they travel from xdist workers to the main process."""
        return [
            ("opscheck.scenario", self.scenario),
            ("opscheck.cause", self.cause or ""),
            ("opscheck.kind", self.kind),
            ("opscheck.severity", self.severity),
        ]


def resolve(item: pytest.Item, runbook: Runbook) -> Mapping | str:
    """Return the check's mapping, or a message saying what is wrong with it."""
    where = f"{item.nodeid}"
    marker = item.get_closest_marker("runbook")
    if marker is None or not marker.args:
        return (
            f"{where}: not mapped to the runbook; expected @pytest.mark.runbook(<scenario>, "
            f"cause=<cause>) with a scenario among: {', '.join(s.slug for s in runbook.scenarios)}"
        )
    slug = marker.args[0]
    try:
        scenario = runbook.scenario(slug)
    except KeyError:
        return (
            f"{where}: runbook scenario {slug!r} is not in {runbook.path}; "
            f"expected one of: {', '.join(s.slug for s in runbook.scenarios)}"
        )
    cause = marker.kwargs.get("cause")
    if cause is not None:
        try:
            scenario.cause(cause)
        except KeyError:
            return (
                f"{where}: cause {cause!r} is not a common cause of '{scenario.number}. "
                f"{scenario.title}' in {runbook.path}; expected one of: "
                f"{', '.join(c.slug for c in scenario.causes)}"
            )
    kinds = [k for k in KINDS if item.get_closest_marker(k)]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        return f"{where}: expected exactly one kind marker among {', '.join(KINDS)}, found {found}"
    return Mapping(slug, cause, kinds[0], scenario.severity)
