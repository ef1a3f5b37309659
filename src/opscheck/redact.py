"""Redaction: what is a secret never leaves opscheck, in evidence, reports or the terminal.

Evidence is built not to hold secrets (no tokens, no values of environment variables);
this is the second line, for text that came from elsewhere: log lines, issue titles,
health bodies, stopped-task reasons, messages, attachments, saved evidence.

Three kinds of secret are recognised:

- the exact values of the tokens opscheck itself was given (`remember`);
- token shapes the issuers publish: GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
  `github_pat_`), Sentry (`sntrys_`, `sntryu_`), AWS access key ids (`AKIA`, `ASIA`, ...)
  and 40-character secret access keys, Slack (`xox?-`, webhook URLs), Stripe, npm,
  Google API keys, JSON Web Tokens, PEM private key blocks;
- secrets by their context: `Authorization` schemes, `password=...`-style pairs, and
  passwords in URLs (`postgres://user:pw@host`).

The shapes are a short table here rather than a secret-scanning library at run time:
the maintained scanners (detect-secrets and its forks) cost about 0.3 s to import,
a third of the on-call path's budget, and report only part of some tokens. The tests
use such a scanner as the oracle instead: whatever it still finds in redacted text
is a miss.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "[REDACTED]"

# Whole matches are masked.
_SHAPES = re.compile(
    "|".join(
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?"
            r"(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)",
            r"\bgh[pousr]_[A-Za-z0-9_]{30,255}",
            r"\bgithub_pat_[A-Za-z0-9_]{20,255}",
            r"\bsntry[su]_[A-Za-z0-9+/=_-]{20,}",
            r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
            r"\bxox[abposre]-[A-Za-z0-9-]{10,}",
            r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]+",
            r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}",
            r"\bnpm_[A-Za-z0-9]{36}\b",
            r"\bAIza[0-9A-Za-z_-]{35}",
            r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        )
    )
)
# An AWS secret access key: 40 characters of base64 with both cases. A commit SHA (hex,
# lower case) or a request id does not look like this.
_AWS_SECRET = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
# "Authorization: Bearer abc", "Basic dXNl...": the scheme stays, the credential goes.
_SCHEME = re.compile(r"\b([Bb]earer|BEARER|Basic)(\s+)[A-Za-z0-9._~+/=-]+")
# password=..., "api_key": "...", DB_PASSWORD='...'; not ':secret:' inside an ARN.
# After a colon, a bare lower-case word is prose ("token: set SENTRY_AUTH_TOKEN"), not a value.
_PAIR = re.compile(
    r"(?i)(?<![:/])\b([\w-]*(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key))"
    r"(\"?\s*=\s*|\"?\s*:\s*(?!(?-i:[a-z]+)(?:[\s,.;)]|$)))(\"[^\"]*\"|'[^']*'|[^\s&,;\"']+)"
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]+:)([^@\s]+)(@)")
_SECRET_KEY = re.compile(r"(?i)password|passwd|token|secret|api[_-]?key|authorization|credential")

_known: set[str] = set()
_known_lock = threading.Lock()
_MIN_KNOWN = 8  # shorter values would mask ordinary words


def remember(value: str | None) -> None:
    """Mask this exact value wherever it appears from now on (a token opscheck was given)."""
    if value and len(value) >= _MIN_KNOWN:
        with _known_lock:
            _known.add(value)


def _quoted(value: str) -> str:
    return f"{value[0]}{MASK}{value[0]}" if value[:1] in ("'", '"') else MASK


def redact(text: str) -> str:
    """Return the text with every secret opscheck recognises replaced by [REDACTED]."""
    for value in sorted(_known, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _SHAPES.sub(MASK, text)
    text = _AWS_SECRET.sub(MASK, text)
    text = _SCHEME.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)
    text = _PAIR.sub(lambda m: f"{m[1]}{m[2]}{_quoted(m[3])}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m[1]}{MASK}{m[3]}", text)


_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")


def sql(statement: str) -> str:
    """A SQL statement fit to show: its string literals masked (the values it writes or
    matches may be passwords or personal data), redacted, on one line."""
    return redact(" ".join(_SQL_LITERAL.sub("'?'", statement).split()))


def looks_secret(text: str) -> bool:
    """Whether the text is, or holds, something redact would mask."""
    return redact(text) != text


def redact_json(value: Any) -> Any:
    """Redact every string in a JSON-like value, and whole values under secret-looking keys."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: MASK if _SECRET_KEY.search(str(k)) and isinstance(v, str) else redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value
