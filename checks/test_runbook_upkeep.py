"""Runbook section "Runbook Maintenance": is the runbook itself kept up to date.

A runbook past its review date may name resources, people or commands that no longer
exist; a scenario no check covers is one the on-call meets unprepared. Severity P3: no
user impact now. These read the runbook and the collected checks, no AWS evidence.
"""

from datetime import UTC, datetime

import pytest

pytestmark = [pytest.mark.runbook("runbook-maintenance", severity="P3"), pytest.mark.config]


def test_runbook_review_is_not_overdue(runbook):
    """'Review: Monthly': the runbook's own Next Review date must not have passed."""
    m = runbook.maintenance
    today = datetime.now(UTC).date()
    overdue = (today - m.next_review).days
    assert overdue <= 0, (
        f"{runbook.path}: review due {m.next_review} is {overdue} days overdue "
        f"(last review {m.last_review}; review {m.review.lower()}, owner {m.owner})"
    )


def test_every_scenario_has_a_check(runbook, check_coverage):
    """Each 'Common Incidents' scenario needs at least one check to tell it is happening."""
    uncovered = [
        f"{s.number}. {s.title} ({s.slug})"
        for s in runbook.scenarios
        if s.slug not in check_coverage
    ]
    assert not uncovered, f"{runbook.path}: no check maps to scenario(s) {', '.join(uncovered)}"
