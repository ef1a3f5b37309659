"""CloudWatch Logs: the tasks' log group and the lines they write (evidence: `logs`).

The healthy world has a few INFO and two ERROR lines in the last minutes of a task's log
stream; a fault floods it with ERROR lines. The group's retention is a `monitoring` effect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moto.logs.models import logs_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import ACCOUNT, World

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
    # On the backend, not over HTTP: a busy production writes tens of thousands of lines.
    backend = logs_backends[ACCOUNT][world.target.aws.region]
    backend.put_log_events(world.target.ecs.log_group, STREAM, events)


@seed("logs")
def log_group(world: World) -> None:
    """The tasks' log group, kept a month, with a stream of ordinary lines in the last minutes."""
    logs = world.client("logs")
    logs.create_log_group(logGroupName=world.target.ecs.log_group)
    logs.put_retention_policy(logGroupName=world.target.ecs.log_group, retentionInDays=30)
    logs.create_log_stream(logGroupName=world.target.ecs.log_group, logStreamName=STREAM)
    put_lines(world, list(HEALTHY_LINES))


class ErrorLogsChange(Change):
    """ERROR lines written to the tasks' log stream in the last two minutes."""

    count: int
    """How many lines."""
    message: str = "ERROR Request failed: PrismaClientKnownRequestError: timed out"
    """Each line, numbered."""


@effect("error_logs", ErrorLogsChange)
def flood_error_logs(world: World, change: ErrorLogsChange, fault: Fault) -> None:
    put_lines(world, [f"{change.message} (request {n})" for n in range(change.count)], 120.0)
