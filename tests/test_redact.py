"""Redaction: every token shape an on-call output could carry is masked; ordinary text is not.

A maintained secret scanner (detect-secrets, Bridgecrew's fork) is the oracle: it must
recognise the planted tokens before redaction and find nothing after it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.stripe import StripeDetector

from opscheck import redact as redact_module
from opscheck.evidence import SOURCES, Unavailable
from opscheck.evidence.base import Source
from opscheck.evidence.collect import Evidence, _fetch
from opscheck.evidence.http import HealthResponse
from opscheck.redact import looks_secret, redact, redact_json, remember

PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2gnTbM0TnAQuNwXuxIDDOMwZEpVh\n"
    "s9QMbuVMZQ0QdvRMZoiHQj4Jf4RMIAGLvoGUzcdNGTlnUyiMsqUJ5LVa7SMbFLs=\n"
    "-----END RSA PRIVATE KEY-----"
)
# Fake tokens in the shapes their issuers publish; none of them is real.
TOKENS = {
    "github classic": "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ",
    "github oauth": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "github app": "ghs_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ",
    "github fine-grained": "github_pat_11ABCDEFG0123456789abc_" + "aBcDeFgHiJ" * 5 + "xyz12345k",
    "sentry org": "sntrys_eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ=="
    "_AbCdEf0123456789abcdef0123456789abcdef01234",
    "sentry user": "sntryu_" + "0f1e2d3c4b5a6978" * 4,
    "aws key id": "AKIAIOSFODNN7EXAMPLE",
    "aws session key id": "ASIAY34FZKBOKMUTVV7A",
    "aws secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "slack bot": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack webhook": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "postgres password": "s3cr3t-Pa55word",
    "private key": PRIVATE_KEY,
}
# How each token turns up in what opscheck reads: a log line, an issue title, a reason.
CARRIERS = {
    "postgres password": "FATAL could not connect to postgres://app:{}@db.internal:5432/app",
    "aws secret": "ERROR boto: AKIAIOSFODNN7EXAMPLE {} rejected",
    "private key": "ERROR loaded key {}",
}
ORACLE = (
    AWSKeyDetector(),
    BasicAuthDetector(),
    GitHubTokenDetector(),
    JwtTokenDetector(),
    PrivateKeyDetector(),
    SlackDetector(),
    StripeDetector(),
)


def planted(name: str) -> str:
    return CARRIERS.get(name, "ERROR request failed with credential {} (retrying)").format(
        TOKENS[name]
    )


def scanner_finds(text: str) -> list[str]:
    return [found for detector in ORACLE for found in detector.analyze_string(text)]


@pytest.mark.parametrize("name", sorted(TOKENS))
def test_every_token_shape_is_masked(name: str) -> None:
    line = planted(name)
    redacted = redact(line)
    assert TOKENS[name] not in redacted
    assert "[REDACTED]" in redacted
    assert not scanner_finds(redacted), redacted
    for fragment in TOKENS[name].split("\n"):
        if len(fragment) >= 12:
            assert fragment not in redacted, fragment


def test_the_scanner_recognises_the_planted_tokens() -> None:
    """The oracle is worth something only if it finds the tokens it knows before redaction."""
    known = ("github classic", "aws key id", "slack bot", "stripe", "jwt", "private key")
    for name in known:
        assert scanner_finds(planted(name)), name


@pytest.mark.parametrize(
    "line",
    [
        "arn:aws:secretsmanager:us-east-2:123456789012:secret:saaspe/production/DATABASE_URL",
        "deploy 9fceb02d0ae598e95dc970b74767f19372d61af8 of saaspe-production-backend:3",
        "task 0b4a6fd8b9d04c52a3bd6e4d0bd1c0a1 stopped: Essential container in task exited",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-2:"
        "123456789012:targetgroup/saaspe-production-tg/73e2d6bc24d8a067)",
        "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
        "app/saaspe-production-alb/4361f80389f5693e 5xx 12.5% of 4,000 requests",
        "request 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed took 5300 ms",
        "ERROR basic validation failed for token refresh: 3 retries",
        "no Sentry token: set SENTRY_AUTH_TOKEN to a Sentry auth token",
        "CannotPullContainerError: 123456789012.dkr.ecr.us-east-2.amazonaws.com/saaspe-backend:4",
    ],
)
def test_ordinary_operations_text_is_left_alone(line: str) -> None:
    assert redact(line) == line
    assert not looks_secret(line)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("password: Hunter2 rejected", "password: [REDACTED] rejected"),
        ('{"client_secret": "abc"}', '"client_secret": "[REDACTED]"'),
        ("DB_PASSWORD=plainword", "DB_PASSWORD=[REDACTED]"),
    ],
)
def test_secrets_named_by_their_key_are_masked(line: str, kept: str) -> None:
    assert kept in redact(line)


def test_tokens_opscheck_was_given_are_masked_wherever_they_appear(monkeypatch) -> None:
    monkeypatch.setattr(redact_module, "_known", set())
    opaque = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # no published shape: only known by value
    assert redact(f"GET /api?cursor={opaque}") == f"GET /api?cursor={opaque}"
    remember(opaque)
    remember("short")  # too short to mask without masking words
    assert redact(f"GET /api?cursor={opaque} short") == "GET /api?cursor=[REDACTED] short"


def test_json_is_redacted_by_value_and_by_key() -> None:
    value = {
        "body": planted("github classic"),
        "headers": {"Authorization": "Bearer abc.def"},
        "lines": [planted("aws key id")],
        "count": 3,
    }
    redacted = json.dumps(redact_json(value))
    assert "ghp_" not in redacted and "AKIA" not in redacted and "abc.def" not in redacted
    assert '"count": 3' in redacted


class _Session:
    """The two hooks of ReadOnlySession that reading a source uses."""

    def forget_action(self) -> None:
        pass

    def last_action(self) -> None:
        return None


def test_evidence_is_redacted_where_it_enters_and_when_saved(tmp_path, monkeypatch) -> None:
    """A source's value and an unavailable reason are masked before any check sees them."""
    leaky = HealthResponse(
        url="http://127.0.0.1/health", timeout_s=1, status=500, body=planted("jwt")
    )
    fake = Source("health_endpoint", HealthResponse, (), lambda ctx: leaky, "health")
    monkeypatch.setitem(SOURCES, "health_endpoint", fake)
    value = _fetch("health_endpoint", SimpleNamespace(aws=_Session()))  # type: ignore[arg-type]
    assert isinstance(value, HealthResponse)
    assert "eyJ" not in value.body and "[REDACTED]" in value.body

    saved = tmp_path / "evidence.json"
    Evidence(
        target="simulated",
        collected_at=datetime(2026, 12, 1, tzinfo=UTC),
        values={
            "health_endpoint": leaky,  # as a file written before redaction might hold it
            "sentry_issues": Unavailable(f"refused {TOKENS['sentry user']}"),
        },
    ).save(saved)
    text = saved.read_text()
    assert "eyJ" not in text and "sntryu_" not in text
    assert Evidence.load(saved).values["health_endpoint"].status == 500  # type: ignore[union-attr]


# -- redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ERROR login failed password=hunter2 user=bob", "password=[REDACTED] user=bob"),
        ("ERROR GET /rates?token=abc123&x=1 failed", "token=[REDACTED]&x=1"),
        ('ERROR {"api_key": "sk-live-1"}', '"api_key": "[REDACTED]"'),
        ("ERROR Authorization: Bearer eyJhbGciOi.x.y rejected", "Bearer [REDACTED] rejected"),
        ("ERROR connect postgres://app:s3cret@db:5432/app", "postgres://app:[REDACTED]@db"),
        ("ERROR refresh failed access_token=s3cret", "access_token=[REDACTED]"),
        ("ERROR env DB_PASSWORD='s3cret' missing", "DB_PASSWORD='[REDACTED]' missing"),
        ("ERROR Authorization: Basic dXNlcjpzM2NyZXQ= refused", "Basic [REDACTED] refused"),
    ],
)
def test_redact_masks_obvious_secrets(line: str, expected: str) -> None:
    redacted = redact(line)
    assert expected in redacted
    for secret in ("hunter2", "abc123", "sk-live-1", "eyJhbGciOi", "s3cret", "dXNlcjpzM2NyZXQ"):
        assert secret not in redacted


def test_redact_leaves_ordinary_lines_alone() -> None:
    line = "ERROR basic validation failed for token refresh: 3 retries"
    assert redact(line) == line


def test_a_statement_is_shown_without_its_string_literals():
    statement = "SELECT *\n  FROM users WHERE email = 'ann@example.com' AND note = 'it''s'"
    assert redact_module.sql(statement) == "SELECT * FROM users WHERE email = '?' AND note = '?'"
    assert "[REDACTED]" in redact_module.sql(
        "SELECT dblink_connect('x') -- postgres://u:pw123456@h/db"
    )
