"""Fixtures the checks in checks/ read: one per evidence source, named after it.

A check names the evidence it needs as arguments (`def test_x(ecs_service, metrics)`);
the plugin reads exactly those sources, once per run, before any check starts. A source
that could not be read makes the check inconclusive instead of running it on nothing.
`pytest --fixtures checks` lists them with what each holds. What a check read is attached,
redacted, to its Allure result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opscheck.evidence import SOURCES, Evidence, Unavailable
from opscheck.outcomes import inconclusive
from opscheck.reports.allure import attach


def _fixture_for(name: str) -> Callable[..., Any]:
    def read(evidence: Evidence) -> Any:
        value = evidence.get(name)
        if isinstance(value, Unavailable):
            inconclusive(value.reason)
        attach(name, value)
        return value

    read.__doc__ = f"{SOURCES[name].doc} ({SOURCES[name].model.__name__})"
    return pytest.fixture(name=name)(read)


for _name in SOURCES:
    globals()[f"{_name}_fixture"] = _fixture_for(_name)
