"""The sentry_issues source, against a Sentry-shaped server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from opscheck.evidence import Unavailable, gather
from opscheck.evidence.sentry import SentryActivity
from opscheck.target import Target, load
from tests.evidence.helpers import Routes
from tests.helpers import ROOT, SIMULATED, LocalServer, Reply, context

ORG = "o4510247421018112"
EVENTS_PATH = f"/api/0/organizations/{ORG}/events/"
ISSUES_PATH = f"/api/0/organizations/{ORG}/issues/"
ISSUE = {
    "id": "4101",
    "shortId": "SAASPE-BACKEND-7",
    "title": "TypeError: Cannot read properties of undefined (reading 'token=abc')",
    "culprit": "ProposalsController.create",
    "level": "error",
    "status": "unresolved",
    "count": "1532",
    "lastSeen": "2026-11-26T14:59:40Z",
    "permalink": f"https://sentry.io/organizations/{ORG}/issues/4101/",
}


def production(server: LocalServer, monkeypatch: pytest.MonkeyPatch, token: str | None) -> Target:
    """Production's environment file (tokens from the environment), its Sentry on `server`."""
    target = load("production", ROOT)
    if token is None:
        monkeypatch.delenv("SENTRY_AUTH_TOKEN", raising=False)
    else:
        monkeypatch.setenv("SENTRY_AUTH_TOKEN", token)
    assert target.sentry is not None
    sentry_table = target.sentry.model_copy(update={"api_base": f"{server.url}/api/0"})
    return target.model_copy(update={"sentry": sentry_table})


def read_sentry(target: Target) -> Any:
    return gather(["sentry_issues"], context(target, "http://127.0.0.1:9")).get("sentry_issues")


def test_sentry_counts_events_and_lists_issues(
    http_server: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http_server(
        {
            EVENTS_PATH: Reply(body={"data": [{"count()": 137}], "meta": {"fields": {}}}),
            ISSUES_PATH: Reply(body=[ISSUE] * 11),
        }
    )
    found = read_sentry(production(server, monkeypatch, "sntrys_test_secret"))
    assert isinstance(found, SentryActivity), found
    assert (found.error_events, found.window_minutes, found.more_unresolved) == (137, 5, True)
    assert len(found.unresolved) == 10
    issue = found.unresolved[0]
    assert (issue.short_id, issue.count, issue.level) == ("SAASPE-BACKEND-7", 1532, "error")
    assert "token=[REDACTED]" in issue.title
    assert "sntrys_test_secret" not in found.model_dump_json()
    events, issues = sorted(server.requests, key=lambda r: r.path)
    assert events.headers["Authorization"] == "Bearer sntrys_test_secret"
    assert "field=count%28%29" in events.query and "statsPeriod=5m" in events.query
    assert "query=event.type%3Aerror" in events.query
    assert "query=is%3Aunresolved" in issues.query and "statsPeriod=5m" in issues.query
    # Every project the token can access, not only those its user is a member of.
    assert events.params["project"] == issues.params["project"] == ["-1"]


@pytest.mark.parametrize("status", [401, 403])
def test_sentry_refusing_the_token_names_the_variable_and_scopes(
    http_server: Routes,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
) -> None:
    denied = Reply(status, {"detail": "You do not have permission to perform this action."})
    server = http_server({EVENTS_PATH: denied, ISSUES_PATH: denied})
    found = read_sentry(production(server, monkeypatch, "sntrys_test_secret"))
    assert isinstance(found, Unavailable)
    assert f"answered {status}" in found.reason
    assert "SENTRY_AUTH_TOKEN" in found.reason and "org:read and event:read" in found.reason
    assert "sntrys_test_secret" not in found.reason


def test_sentry_without_a_token_says_which_variable_to_set(
    http_server: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http_server({})
    found = read_sentry(production(server, monkeypatch, None))
    assert isinstance(found, Unavailable)
    assert "no Sentry token: set SENTRY_AUTH_TOKEN" in found.reason
    assert server.requests == []


def test_sentry_without_a_sentry_table_is_unavailable() -> None:
    found = read_sentry(SIMULATED.model_copy(update={"sentry": None}))
    assert isinstance(found, Unavailable) and found.not_configured
    assert "no [sentry] table in simulated.toml" in found.reason


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(500, {"detail": "Internal Error"}), "answered 500"),
        (Reply(429, {"detail": "slow down"}), "429: rate limited"),
        (Reply(200, "<html>login</html>"), "did not answer JSON"),
        (Reply(200, {"unexpected": True}), "no 'data' rows"),
        (
            Reply(200, {"data": [], "meta": {"tips": {"query": "no projects"}}}),
            "the token in SENTRY_AUTH_TOKEN can see no project of the organization",
        ),
        (Reply(200, {"data": [{"count": 500}]}), "a row without an integer count()"),
        (Reply(200, {"data": [{"count()": "500"}]}), "a row without an integer count()"),
        (
            Reply(404, {"detail": "The requested resource does not exist"}),
            "[sentry] org must be the organization slug from its Sentry URL",
        ),
    ],
    ids=["500", "429", "not-json", "no-data", "no-projects", "drifted-field", "string", "404"],
)
def test_sentry_answers_that_cannot_be_read(
    http_server: Routes,
    monkeypatch: pytest.MonkeyPatch,
    reply: Reply,
    expected: str,
) -> None:
    server = http_server({EVENTS_PATH: reply, ISSUES_PATH: Reply(body=[])})
    found = read_sentry(production(server, monkeypatch, "t"))
    assert isinstance(found, Unavailable)
    assert expected in found.reason
