"""Fixtures the checks in checks/ read: one per evidence source.

A check names the evidence it needs as arguments; the plugin reads exactly those
sources, once per run, before any check starts. A source that could not be read makes
the check inconclusive instead of running it on nothing.
"""

from __future__ import annotations

import pytest

from opscheck.evidence import Evidence, Unavailable
from opscheck.evidence.cloudwatch import Alarms
from opscheck.evidence.ecs import EcsService, StoppedTasks
from opscheck.evidence.elb import TargetHealth
from opscheck.evidence.http import HealthResponse
from opscheck.evidence.metrics import Metrics
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.outcomes import inconclusive


def _read(evidence: Evidence, name: str):  # type: ignore[no-untyped-def]
    value = evidence.get(name)
    if isinstance(value, Unavailable):
        inconclusive(value.reason)
    return value


@pytest.fixture
def ecs_service(evidence: Evidence) -> EcsService:
    """The ECS service: status, desired/running/pending counts, deployments, events."""
    return _read(evidence, "ecs_service")


@pytest.fixture
def stopped_tasks(evidence: Evidence) -> StoppedTasks:
    """The service's tasks stopped within the window, with stop codes, reasons, exit codes."""
    return _read(evidence, "stopped_tasks")


@pytest.fixture
def target_health(evidence: Evidence) -> TargetHealth:
    """Every target of the service's target group, with its health state."""
    return _read(evidence, "target_health")


@pytest.fixture
def alarms(evidence: Evidence) -> Alarms:
    """Every alarm the environment names, with its state."""
    return _read(evidence, "alarms")


@pytest.fixture
def health_endpoint(evidence: Evidence) -> HealthResponse:
    """One GET of the application's health URL."""
    return _read(evidence, "health_endpoint")


@pytest.fixture
def task_definitions(evidence: Evidence) -> TaskDefinitions:
    """The family's ACTIVE revisions and the configuration of the revision the service runs."""
    return _read(evidence, "task_definitions")


@pytest.fixture
def metrics(evidence: Evidence) -> Metrics:
    """The last hour of ALB, RDS, ECS and cache metrics (one GetMetricData call)."""
    return _read(evidence, "metrics")
