"""Reading an environment file into a ``Target``, and saying in the file's terms what is wrong.

A problem is one line that names the file and the dotted key (``thresholds.error_rate_p1``)
and what was expected, never a validation traceback, and never the value when it looks like
a token.
"""

from __future__ import annotations

import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from opscheck.redact import looks_secret, remember
from opscheck.target.tables import Target


class TargetError(ValueError):
    """A target that cannot be used; ``str()`` is the whole message for the user."""


def available(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "environments").glob("*.toml"))


def load(name_or_path: str, root: Path) -> Target:
    """Read and validate an environment by name (``production``) or by ``.toml`` path."""
    if name_or_path.endswith(".toml"):
        path = Path(name_or_path)
    elif name_or_path in (names := available(root)):
        path = root / "environments" / f"{name_or_path}.toml"
    else:
        raise TargetError(
            f"no environment {name_or_path!r}: expected one of {', '.join(names) or '(none)'}"
            f" (files in {root / 'environments'}/)"
        )
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{shown}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{shown}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{shown}: not valid TOML: {exc}") from None
    problems = [_unknown_key(("path",))] if data.pop("path", None) is not None else []
    try:
        target = Target.model_validate({**data, "path": path}, context={"stem": path.stem})
    except ValidationError as exc:
        problems += [_describe(error) for error in exc.errors(include_url=False)]
    else:
        if not problems:
            for section in (target.sentry, target.github):
                if section is not None:  # whatever quotes a token later is masked
                    remember(os.environ.get(section.token_env))
            for service in ("postgres", "redis"):
                remember_password(target.connection_url(service))  # type: ignore[arg-type]
            return target
    raise TargetError("\n".join(f"{shown}: {problem}" for problem in problems))


def remember_password(url: str | None) -> None:
    """Mask a connection URL's password wherever it appears, as typed and decoded."""
    if not url:
        return
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password is None:  # the key=value form: password=...
        found = re.search(r"(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", url)
        password = found[1].strip("'") if found else None
    if password:
        remember(password)
        remember(unquote(password))


_CREDENTIAL_KEYS = {"token", "auth_token", "password", "secret", "dsn", "url"}
_PROBLEMS = {
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
}


def _describe(error: ErrorDetails) -> str:
    """One line about one error, in the file's terms: dotted keys and TOML types."""
    loc = tuple(str(part) for part in error["loc"])
    key, kind = ".".join(loc), error["type"]
    if kind == "missing":
        return f"missing {key!r} ({_table_at(loc[:-1]).model_fields[loc[-1]].description})"
    if kind == "string_too_short":
        return f"{key!r} must not be empty"
    if kind == "env_name":
        return f"{key!r} {error['msg']} (its value is not shown here)"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in _PROBLEMS:
        problem = _PROBLEMS[kind].format(**error.get("ctx", {}))
    else:
        problem = error["msg"][:1].lower() + error["msg"][1:]
    shown = _show(error["input"])
    if looks_secret(shown) or _opaque(error["input"]):
        shown = "a value that looks like a token (not shown)"
    return f"{key!r} {problem}, got {shown}"


def _unknown_key(loc: tuple[str, ...]) -> str:
    key, fields = ".".join(loc), _table_at(loc[:-1]).model_fields
    if loc[-1].lower() in _CREDENTIAL_KEYS:
        named = next((f for f in fields if f.endswith("_env")), None)
        hint = f"; set '{'.'.join(loc[:-1])}.{named}' instead" if named else ""
        return (
            f"{key!r} is not allowed: secrets are never stored in the file, tokens are named"
            f" by environment variable{hint}"
        )
    return f"unknown key {key!r} (expected one of: {', '.join(sorted(set(fields) - {'path'}))})"


def _table_at(loc: tuple[str, ...]) -> type[BaseModel]:
    """The model behind a dotted table path, so messages can list its keys and describe them."""
    model: type[BaseModel] = Target
    for part in loc:
        annotation = model.model_fields[part].annotation
        model = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    return model


def _opaque(value: Any) -> bool:
    """A long word with no dot, slash or space: more like a pasted token than a name or URL."""
    return isinstance(value, str) and bool(re.fullmatch(r"[^\s./]{24,}", value))


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
