"""Fixtures of the evidence sources' tests."""

from __future__ import annotations

import pytest
from botocore.retries.standard import ExponentialBackoff

from opscheck.target import Target, load
from tests.evidence.helpers import NOT_FOUND, Routes
from tests.helpers import ROOT, StartServer


@pytest.fixture(autouse=True)
def _no_ambient_aws(no_ambient_aws: None) -> None:
    """Every source here reads with the tests' own endpoints and credentials only."""


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's jittered backoff adds up to seconds per retry; what matters is the count."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(scope="module")
def target() -> Target:
    return load("simulated", ROOT)


@pytest.fixture
def http_server(local_server: StartServer) -> Routes:
    """A local server answering each path with its reply from `routes`, and 404 elsewhere."""
    return lambda routes: local_server(lambda request: routes.get(request.path, NOT_FOUND))
