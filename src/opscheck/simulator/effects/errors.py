"""Effects of scenario 2 and the app's outside world: log lines, Sentry, external APIs.

The healthy world has a few INFO and two ERROR lines in the last minutes of a task's log
stream, a quiet Sentry (a handful of error events, two unresolved issues) and external
APIs answering 200 at once. Faults flood the logs, raise Sentry's counts or make its API
refuse the token, and make a dependency fail or answer slowly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from opscheck.simulator.catalog import CatalogError, Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import Response, World

STREAM = "ecs/backend/5d6e7f8a9b0c4d1e8f2a3b4c5d6e7f80"
HEALTHY_LINES = (
    "INFO GET /api/v1/proposals 200 41ms",
    "INFO GET /api/v1/clients 200 23ms",
    "ERROR Upstream call failed: GET https://external-api.com/v1/rates?token=sim-0000 timed "
    "out after 5000ms (retrying)",
    "INFO POST /api/v1/proposals 201 88ms",
    "ERROR Unhandled rejection in /api/v1/webhooks: invalid signature",
    "INFO GET /health 200 2ms",
)
QUIET_EVENTS = 4


def put_lines(world: World, lines: list[str], seconds: float = 90.0) -> None:
    """Write lines to the task's stream, spread over the last `seconds`, oldest first."""
    now = datetime.now(UTC) - timedelta(seconds=5)
    step = seconds / max(len(lines), 1)
    events = [
        {
            "timestamp": int((now - timedelta(seconds=seconds - i * step)).timestamp() * 1000),
            "message": line,
        }
        for i, line in enumerate(lines)
    ]
    logs = world.client("logs")
    for i in range(0, len(events), 5000):
        logs.put_log_events(
            logGroupName=world.target.ecs.log_group,
            logStreamName=STREAM,
            logEvents=events[i : i + 5000],
        )


def sentry_answers(world: World, events: int, issues: int, status: int = 200) -> None:
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
            "title": f"Error: simulated failure #{n + 1} in /api/v1/proposals",
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


@seed
def quiet_errors(world: World) -> None:
    world.client("logs").create_log_stream(
        logGroupName=world.target.ecs.log_group, logStreamName=STREAM
    )
    put_lines(world, list(HEALTHY_LINES))
    sentry_answers(world, QUIET_EVENTS, 2)
    for name in world.target.app.dependencies:
        world.responses[world.paths[f"dependency:{name}"]] = Response(200, '{"status":"ok"}')


class ErrorLogsChange(Change):
    count: int
    message: str = "ERROR Request failed: PrismaClientKnownRequestError: timed out"


@effect("error_logs", ErrorLogsChange)
def flood_error_logs(world: World, change: ErrorLogsChange, fault: Fault) -> None:
    put_lines(world, [f"{change.message} (request {n})" for n in range(change.count)], 120.0)


class SentryChange(Change):
    events: int = QUIET_EVENTS
    issues: int = 2
    status: int = 200  # 401 or 403: the API refuses the token


@effect("sentry_activity", SentryChange)
def change_sentry(world: World, change: SentryChange, fault: Fault) -> None:
    sentry_answers(world, change.events, change.issues, change.status)


class DependencyChange(Change):
    name: str | None = None  # a key of [app] dependencies; None: every one
    status: int = 200
    body: str = '{"status":"ok"}'
    delay_s: float = 0.0


@effect("dependency", DependencyChange)
def change_dependency(world: World, change: DependencyChange, fault: Fault) -> None:
    names = [change.name] if change.name else list(world.target.app.dependencies)
    for name in names:
        if name not in world.target.app.dependencies:
            raise CatalogError(
                f"fault '{fault.name}': no dependency '{name}' in [app] dependencies"
            )
        world.responses[world.paths[f"dependency:{name}"]] = Response(
            change.status, change.body, delay_s=change.delay_s
        )
