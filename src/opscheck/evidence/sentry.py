"""Evidence from Sentry: error events and unresolved issues of the last 5 minutes.

The runbook's symptom is "Sentry: Error spike notification" and its diagnosis opens the
organization's issues with `query=is:unresolved`. Two documented REST calls answer that:

- the count comes from the Discover events endpoint,
  `GET /api/0/organizations/{org}/events/?field=count()&query=event.type:error&statsPeriod=5m`
  (https://docs.sentry.io/api/discover/query-discover-events-in-table-format/), which sums
  the error events of the window in one row, whatever their issue. The issues list cannot:
  an issue's `count` is its lifetime total, not the window's;
- the issues come from `GET /api/0/organizations/{org}/issues/?query=is:unresolved
  &statsPeriod=5m` (https://docs.sentry.io/api/events/list-an-organizations-issues/), kept
  as the few samples an on-call engineer opens first.

Sentry's documentation asks `org:read` for the first and `event:read` for the second.

Without `project`, both endpoints look only at the projects the token's user is a member
of, and with none they answer 200 with no rows: zero errors that nobody looked for. So
both ask `project=-1` (every project the token can access), and an events answer with no
row, or a row without its `count()`, is "could not see", never 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from opscheck.evidence.base import Context, Model, NotConfigured, SourceUnavailable, source
from opscheck.evidence.http import get_json
from opscheck.redact import redact

WINDOW = "5m"
TIMEOUT_S = 10.0
ISSUES = 10
SCOPES = "org:read and event:read"


class SentryIssue(Model):
    short_id: str
    title: str
    level: str = "error"
    count: int | None = None  # the issue's lifetime total, not the window's
    last_seen: datetime | None = None
    permalink: str | None = None


class SentryActivity(Model):
    org: str
    api_base: str
    window: str
    error_events: int  # error events in the window, all projects of the organization
    unresolved: tuple[SentryIssue, ...] = ()  # unresolved issues seen in the window, at most ISSUES
    more_unresolved: bool = False  # Sentry has more than ISSUES of them

    @property
    def window_minutes(self) -> int:
        return int(self.window.rstrip("m"))


def _get(ctx: Context, url: str, params: dict[str, str], token: str, env: str) -> Any:
    def refused(answer: requests.Response) -> str | None:
        if answer.status_code == 404:
            org = ctx.target.sentry.org if ctx.target.sentry else "?"
            return (
                f"GET {url} answered 404: no Sentry organization {org!r}; [sentry] org must be "
                "the organization slug from its Sentry URL (sentry.io/organizations/SLUG/)"
            )
        if answer.status_code in (401, 403):
            return (
                f"GET {url} answered {answer.status_code}: the token in {env} was refused; "
                f"set {env} to a Sentry auth token with the {SCOPES} scopes"
            )
        if answer.status_code == 429:
            return f"GET {url} answered 429: rate limited by Sentry; try again"
        return None

    return get_json(
        ctx,
        url,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=(3.0, TIMEOUT_S),
        refused=refused,
    )


def _issue(raw: dict[str, Any]) -> SentryIssue:
    count = raw.get("count")
    return SentryIssue(
        short_id=str(raw.get("shortId") or raw.get("id", "?")),
        title=redact(str(raw.get("title") or raw.get("culprit") or ""))[:200],
        level=str(raw.get("level") or "error"),
        count=int(count) if str(count).isdigit() else None,
        last_seen=raw.get("lastSeen"),
        permalink=raw.get("permalink"),
    )


def error_events(table: Any, env: str) -> int:
    """The count() of a Discover events answer: `{"data": [{"count()": N}], "meta": ...}`.

    An aggregate over the projects asked always has its one row, 0 included; no row means
    no project was looked at.
    """
    rows = table.get("data") if isinstance(table, dict) else None
    if not isinstance(rows, list):
        raise SourceUnavailable(f"the events answer has no 'data' rows: {str(table)[:120]}")
    if not rows:
        raise SourceUnavailable(
            "Sentry answered no rows for the error events: the token in "
            f"{env} can see no project of the organization; use a token whose user is a member "
            f"of the projects (or an organization token) with the {SCOPES} scopes"
        )
    counts = [row.get("count()") if isinstance(row, dict) else None for row in rows]
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
        raise SourceUnavailable(
            f"the events answer has a row without an integer count(): {str(rows)[:120]}"
        )
    return sum(counts)  # type: ignore[arg-type]


@source("sentry_issues")
def sentry_issues(ctx: Context) -> SentryActivity:
    """Sentry error events and unresolved issues of the last 5 minutes, for the organization."""
    sentry = ctx.target.sentry
    if sentry is None:
        raise NotConfigured(
            f"no [sentry] table in {ctx.target.path.name}: add one with the organization "
            "slug (org) and token_env to read Sentry"
        )
    token = ctx.target.token("sentry")
    if not token:
        raise SourceUnavailable(
            f"no Sentry token: set {sentry.token_env} to a Sentry auth token with the "
            f"{SCOPES} scopes"
        )
    base = f"{sentry.api_base.rstrip('/')}/organizations/{sentry.org}"
    events = _get(
        ctx,
        f"{base}/events/",
        {"field": "count()", "query": "event.type:error", "statsPeriod": WINDOW, "project": "-1"},
        token,
        sentry.token_env,
    )
    issues = _get(
        ctx,
        f"{base}/issues/",
        {
            "query": "is:unresolved",
            "statsPeriod": WINDOW,
            "sort": "freq",
            "limit": str(ISSUES + 1),
            "project": "-1",
        },
        token,
        sentry.token_env,
    )
    if not isinstance(issues, list):
        raise SourceUnavailable(f"the issues answer is not a list: {str(issues)[:120]}")
    return SentryActivity(
        org=sentry.org,
        api_base=sentry.api_base,
        window=WINDOW,
        error_events=error_events(events, sentry.token_env),
        unresolved=tuple(_issue(i) for i in issues[:ISSUES]),
        more_unresolved=len(issues) > ISSUES,
    )
