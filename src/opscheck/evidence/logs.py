"""Evidence from CloudWatch Logs: the ERROR lines the service wrote in the last 5 minutes.

The runbook's own diagnosis is `aws logs filter-log-events --filter-pattern "ERROR"
--start-time <5 minutes ago>`; this is that call, counted. Counting stops at a cap (the
runbook's line is ">100 errors in 5 minutes": knowing there were at least 1000 is enough;
the cap is always above the environment's threshold, so a capped count exceeds it) and
after a few pages (FilterLogEvents may answer pages with no events while it searches);
the evidence says when either stopped it. Sample lines are kept short and redacted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, source
from opscheck.redact import redact

WINDOW_MINUTES = 5
PATTERN = "ERROR"
MAX_EVENTS = 1000  # the cap, unless the threshold is higher (then the threshold + 1)
PAGE_EVENTS = 10_000  # the most events FilterLogEvents answers in a page (botocore's model)
MAX_PAGES = 5
SAMPLES = 5
SAMPLE_CHARS = 200


def sample(message: str) -> str:
    """One log line as evidence: first line only, redacted, then truncated."""
    line = redact(message.strip().splitlines()[0] if message.strip() else "")
    return line if len(line) <= SAMPLE_CHARS else line[: SAMPLE_CHARS - 1] + "…"


class LogErrors(Model):
    log_group: str
    pattern: str
    start: datetime
    end: datetime
    exists: bool = True
    count: int = 0
    capped: bool = False  # counting stopped at the cap: `count` is a lower bound
    incomplete: bool = False  # the search was cut after MAX_PAGES pages, short of the cap
    pages: int = 0
    samples: tuple[str, ...] = ()  # newest last, redacted and truncated

    @property
    def window_minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@source("log_errors", actions=("logs:FilterLogEvents",))
def log_errors(ctx: Context) -> LogErrors:
    """ERROR lines in the service's log group in the last 5 minutes, counted up to a cap."""
    group = ctx.target.ecs.log_group
    start, end = ctx.now - timedelta(minutes=WINDOW_MINUTES), ctx.now
    found = LogErrors(log_group=group, pattern=PATTERN, start=start, end=end)
    logs = ctx.aws.client("logs")
    # Above the threshold: a count stopped at the cap is then known to exceed it.
    cap = max(MAX_EVENTS, ctx.target.thresholds.error_lines_5m + 1)
    request = {
        "logGroupName": group,
        "filterPattern": PATTERN,
        "startTime": _ms(start),
        "endTime": _ms(end),
        "limit": min(cap, PAGE_EVENTS),
    }
    count, pages, messages, token = 0, 0, [], None
    while pages < MAX_PAGES:
        try:
            page = logs.filter_log_events(**request, **({"nextToken": token} if token else {}))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            return found.model_copy(update={"exists": False})
        pages += 1
        events = page.get("events", [])
        count += len(events)
        messages = (messages + [e.get("message", "") for e in events])[-SAMPLES:]
        token = page.get("nextToken")
        if not token or count >= cap:
            break
    capped = count >= cap and token is not None
    return found.model_copy(
        update={
            "count": min(count, cap) if capped else count,
            "capped": capped,
            "incomplete": token is not None and not capped,
            "pages": pages,
            "samples": tuple(sample(m) for m in messages),
        }
    )
