"""Redaction: what obviously is a secret never leaves opscheck, in evidence or in reports.

Evidence is built not to hold secrets (no tokens, no values of environment variables);
this is the second line, for text that came from elsewhere: log lines, issue titles,
messages, attachments.
"""

from __future__ import annotations

import re
from typing import Any

_SECRETS = (
    re.compile(r"\b([Bb]earer|BEARER|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)\b([\w-]*(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key))"
        r"(\"?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;\"']+)"
    ),
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]+:)([^@\s]+)(@)"),
)


def _quoted(value: str) -> str:
    return f"{value[0]}[REDACTED]{value[0]}" if value[:1] in ("'", '"') else "[REDACTED]"


def redact(text: str) -> str:
    """Mask what obviously is a secret in a log line: bearer tokens, key=value, URL passwords."""
    text = _SECRETS[0].sub(lambda m: f"{m[1]} [REDACTED]", text)
    text = _SECRETS[1].sub(lambda m: f"{m[1]}{m[2]}{_quoted(m[3])}", text)
    return _SECRETS[2].sub(lambda m: f"{m[1]}[REDACTED]{m[3]}", text)


def redact_json(value: Any) -> Any:
    """Redact every string in a JSON-like value, and whole values under secret-looking keys."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: "[REDACTED]" if _SECRET_KEY.search(str(k)) and isinstance(v, str) else redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


_SECRET_KEY = re.compile(r"(?i)password|passwd|token|secret|api[_-]?key|authorization|credential")
