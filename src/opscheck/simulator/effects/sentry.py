"""Sentry: what its API answers about error events and unresolved issues (evidence: `sentry`).

The healthy world has a quiet Sentry: a handful of error events, two unresolved issues.
A fault raises the counts, or makes the API refuse the token.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import Response, World

QUIET_EVENTS = 4


def sentry_answers(
    world: World, events: int, issues: int, status: int = 200, title: str = ""
) -> None:
    """What the simulated Sentry answers: the events count and the unresolved issues."""
    sentry = world.target.sentry
    if sentry is None:
        return
    base = f"{world.paths['sentry']}/organizations/{sentry.org}"
    if status != 200:
        denied = Response(status, json.dumps({"detail": "Invalid token"}))
        world.responses[f"{base}/events/"] = world.responses[f"{base}/issues/"] = denied
        return
    table = {"data": [{"count()": events}], "meta": {"fields": {"count()": "integer"}}}
    now = datetime.now(UTC)
    found = [
        {
            "id": str(4100 + n),
            "shortId": f"SAASPE-BACKEND-{41 + n}",
            "title": (n == 0 and title)
            or f"Error: simulated failure #{n + 1} in /api/v1/proposals",
            "culprit": "ProposalsController.create",
            "level": "error",
            "status": "unresolved",
            "count": str(events // max(issues, 1) + 30),
            "lastSeen": (now - timedelta(seconds=20 + n)).isoformat(),
            "permalink": f"https://sentry.io/organizations/{sentry.org}/issues/{4100 + n}/",
        }
        for n in range(issues)
    ]
    world.responses[f"{base}/events/"] = Response(200, json.dumps(table))
    world.responses[f"{base}/issues/"] = Response(200, json.dumps(found))


@seed("sentry")
def quiet_sentry(world: World) -> None:
    sentry_answers(world, QUIET_EVENTS, 2)


class SentryChange(Change):
    """What Sentry counts in the last five minutes, or that it refuses the token."""

    events: int = QUIET_EVENTS
    """Error events in the window."""
    issues: int = 2
    """Unresolved issues."""
    status: int = 200
    """The HTTP status of its answers; 401 or 403: the API refuses the token."""
    title: str = ""
    """The newest issue's title, the exception message as the application wrote it."""


@effect("sentry_activity", SentryChange)
def change_sentry(world: World, change: SentryChange, fault: Fault) -> None:
    sentry_answers(world, change.events, change.issues, change.status, change.title)
