"""Print every effect a fault may use, as Markdown: `python -m opscheck.simulator.reference`.

The keys of a fault's table in `fixtures/faults/*.toml` (besides its summary, scenario
and expectations) are effects: each one's fields and their TOML types are read from the
effect's pydantic model, so the reference (docs/faults.md) cannot drift from what the
simulator accepts: a test compares the two.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic_core import PydanticUndefined

from opscheck.evidence.metrics import QUERIES
from opscheck.simulator import catalog, effects

TOML_TYPES = {str: "string", int: "integer", float: "float", bool: "boolean"}


def toml_type(annotation: Any) -> str:
    """How a field's Python type is written in TOML."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(toml_type(a) for a in args if a is not type(None))
    if origin in (tuple, list):
        return f"array of {toml_type(args[0])}"
    if origin is dict:
        return f"table of {toml_type(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return TOML_TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "left out"
    if value is PydanticUndefined:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{list(value) if isinstance(value, tuple) else value}`"


def fields(model: type[BaseModel]) -> list[str]:
    """A Markdown table of the model's fields, or nothing if it has none."""
    if not model.model_fields:
        return []
    rows = ["| field | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {toml_type(field.annotation)} | {_default(field)} | {meaning} |")
    return rows


def _doc(model: type[BaseModel]) -> str:
    own = model.__dict__.get("__doc__")
    return " ".join((own or "").split())


def section(key: str, effect: effects.Effect) -> list[str]:
    model = effect.model
    area = effect.apply.__module__.rsplit(".", 1)[-1]
    lines = [f"### `{key}`", "", f"Staged by `effects/{area}.py`. {_doc(model)}".rstrip(), ""]
    if issubclass(model, RootModel):
        root = model.model_fields["root"].annotation
        item = typing.get_args(root)[0] if typing.get_origin(root) is list else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            lines += ["An array of tables, each:", "", *fields(item)]
        else:
            lines += [f"A {toml_type(root)}."]
    elif (entry := getattr(model, "ENTRY", None)) is not None:
        names = ", ".join(f"`{q.key}`" for q in QUERIES)
        lines += [f"A table per series ({names}), each:", "", *fields(entry)]
    else:
        lines += fields(model)
    return [*lines, ""]


def reference() -> str:
    effects.load_all()
    envelope = ", ".join(f"`{k}`" for k in sorted(catalog.ENVELOPE))
    lines = [
        "Every key of a fault's table other than its envelope "
        f"({envelope}) is one of these effects.",
        "",
    ]
    for key in sorted(effects.EFFECTS):
        lines += section(key, effects.EFFECTS[key])
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    print(reference())
