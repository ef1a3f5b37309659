"""The runbook upkeep checks: its review date, and a check for every scenario."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from opscheck.runbook import Maintenance
from tests.helpers import NOW, ROOT, load_checks

upkeep = load_checks("test_runbook_upkeep")


# -- runbook upkeep --------------------------------------------------------------------------


def book(next_review: date, slugs: tuple[str, ...] = ("a", "b")) -> Any:
    maintenance = Maintenance(
        "Monthly", "DevOps Team", next_review - timedelta(days=30), next_review
    )
    scenarios = tuple(
        SimpleNamespace(number=i, title=s.upper(), slug=s) for i, s in enumerate(slugs, 1)
    )
    return SimpleNamespace(path="runbook.md", maintenance=maintenance, scenarios=scenarios)


def test_review_due_today_or_later_passes() -> None:
    today = datetime.now(UTC).date()
    upkeep.test_runbook_review_is_not_overdue(book(today))
    upkeep.test_runbook_review_is_not_overdue(book(today + timedelta(days=20)))


def test_overdue_review_fails_with_the_days_overdue() -> None:
    due = datetime.now(UTC).date() - timedelta(days=3)
    with pytest.raises(AssertionError, match=f"review due {due} is 3 days overdue"):
        upkeep.test_runbook_review_is_not_overdue(book(due))


def test_shipped_runbook_is_overdue() -> None:
    """The shipped runbook's next review, 2025-12-01, has passed: a real finding."""
    from opscheck.runbook import load as load_runbook

    shipped = load_runbook(ROOT / "runbook/incident-response.md")
    assert shipped.maintenance.next_review == date(2025, 12, 1)
    if datetime.now(UTC).date() > date(2025, 12, 1):
        with pytest.raises(AssertionError, match="review due 2025-12-01 is"):
            upkeep.test_runbook_review_is_not_overdue(shipped)


def test_every_scenario_needs_a_check() -> None:
    check = upkeep.test_every_scenario_has_a_check
    check(book(NOW.date()), {"a": ("test_x",), "b": ("test_y",), "rollback-procedures": ()})
    with pytest.raises(AssertionError, match=r"no check maps to scenario\(s\) 2\. B \(b\)"):
        check(book(NOW.date()), {"a": ("test_x",), "rollback-procedures": ("test_z",)})
