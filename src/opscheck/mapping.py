"""How a check maps to the runbook: its section, the cause it detects, kind and severities.

Read from the check's markers at collection:

    @pytest.mark.runbook("high-error-rate", cause="bad-deployment", severity=("P1", "P2"))

The section is a scenario slug, or the anchor of a top-level section such as
"rollback-procedures" (which then needs an explicit severity). A check with no mapping, or
one naming a section or cause the runbook does not have, is an error before anything runs:
a runbook edit that drops a section a check relies on must not go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opscheck.runbook import Runbook, Scenario

KINDS = {
    "health": "is it working now",
    "config": "is it set up right",
    "readiness": "can we deploy and roll back",
}
DATABASE = (
    "database: checks of the database: scenario 3, causes that name the database, "
    "and every check that reads RDS evidence or the database itself ([postgres])"
)


@dataclass(frozen=True)
class Mapping:
    section: str  # scenario slug, or anchor of a top-level section
    cause: str | None  # cause slug; None for a check of a symptom
    kind: str
    severities: tuple[str, ...]  # every severity the check can report, worst first

    @property
    def severity(self) -> str:
        return self.severities[0]

    def about_the_database(self, fixtures: list[str]) -> bool:
        return (
            self.section == "database-unavailable"
            or "database" in (self.cause or "")
            or any(name.startswith("rds_") or name == "postgres" for name in fixtures)
        )

    def as_properties(self) -> list[tuple[str, str]]:
        """The mapping as user_properties: they travel from xdist workers to the main process."""
        return [
            ("opscheck.section", self.section),
            ("opscheck.cause", self.cause or ""),
            ("opscheck.kind", self.kind),
            ("opscheck.severity", self.severity),
        ]


def resolve(item: pytest.Item, runbook: Runbook) -> Mapping | str:
    """Return the check's mapping, or a message saying what is wrong with it."""
    where = item.nodeid
    marker = item.get_closest_marker("runbook")
    scenarios = ", ".join(s.slug for s in runbook.scenarios)
    if marker is None or not marker.args:
        return (
            f"{where}: not mapped to the runbook; expected @pytest.mark.runbook(<scenario>, "
            f"cause=<cause>) with a scenario among: {scenarios}"
        )
    slug = marker.args[0]
    cause = marker.kwargs.get("cause")
    declared = marker.kwargs.get("severity")
    declared = (declared,) if isinstance(declared, str) else tuple(declared or ())
    try:
        place = runbook.place(slug)
    except KeyError:
        return (
            f"{where}: runbook scenario {slug!r} is not in {runbook.path}; expected one of: "
            f"{scenarios} (or a section: {', '.join(s.anchor for s in runbook.sections)})"
        )
    if not isinstance(place, Scenario):
        if cause is not None or not declared:
            return f"{where}: a check of section {slug!r} needs severity= and no cause"
    elif cause is not None and cause not in {c.slug for c in place.causes}:
        return (
            f"{where}: cause {cause!r} is not a common cause of '{place.name}' in "
            f"{runbook.path}; expected one of: {', '.join(c.slug for c in place.causes)}"
        )
    scenario_severity = (place.severity,) if isinstance(place, Scenario) else ()
    severities = tuple(s.upper() for s in declared) or scenario_severity
    unknown = [s for s in severities if s not in runbook.severities]
    if unknown:
        levels = ", ".join(runbook.severities)
        return f"{where}: severity {unknown[0]!r} is not a runbook level ({levels})"
    kinds = [k for k in KINDS if item.get_closest_marker(k)]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        return f"{where}: expected exactly one kind marker among {', '.join(KINDS)}, found {found}"
    ordered = tuple(sorted(set(severities), key=list(runbook.severities).index))
    return Mapping(slug, cause, kinds[0], ordered)
