"""The fixtures the checks in checks/ read: the run's runbook, target and thresholds, and
one per evidence source, named after it.

A check names the evidence it needs as arguments (`def test_x(ecs_service: EcsService)`);
the session reads exactly those sources, once per run, before any check starts. A source
that could not be read makes the check inconclusive instead of running it on nothing, and
what a check read is attached, redacted, to its Allure result. Written out, not generated,
so `pytest --fixtures`, editors and type checkers know each one and the type it gives.
The plugin registers this module only for a run that is opscheck's; a test keeps its
sources and `opscheck.evidence.SOURCES` the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import pytest

from opscheck.commands import Commands
from opscheck.evidence import Evidence, Model, Unavailable
from opscheck.evidence.cache import CacheCluster
from opscheck.evidence.cloudwatch import Alarms
from opscheck.evidence.dependencies import Dependencies
from opscheck.evidence.ecs import EcsService, StoppedTasks
from opscheck.evidence.elb import TargetHealth
from opscheck.evidence.github import DeployRuns
from opscheck.evidence.http import HealthResponse
from opscheck.evidence.identity import Identity
from opscheck.evidence.logs import LogErrors
from opscheck.evidence.metrics import Metrics
from opscheck.evidence.monitoring import Dashboard, LogGroup
from opscheck.evidence.postgres import Postgres
from opscheck.evidence.rds import RdsEvents, RdsInstance, RdsMaintenance, RdsSnapshots
from opscheck.evidence.rdslogs import RdsLogs
from opscheck.evidence.redis_info import RedisInfo
from opscheck.evidence.sentry import SentryActivity
from opscheck.evidence.taskdefs import TaskDefinitions
from opscheck.findings import FACT
from opscheck.outcomes import Inconclusive, NotConfigured, inconclusive
from opscheck.reports.allure import attach
from opscheck.runbook import Runbook
from opscheck.session import SESSION
from opscheck.target import Target, ThresholdsConfig

M = TypeVar("M", bound=Model)


@pytest.fixture(scope="session")
def runbook(request: pytest.FixtureRequest) -> Runbook:
    """The runbook the checks map to."""
    return request.config.stash[SESSION].run.runbook


@pytest.fixture(scope="session")
def check_coverage(request: pytest.FixtureRequest) -> dict[str, tuple[str, ...]]:
    """Every runbook section or scenario mapped by a check in checks/, with those checks' names.

    Counted over everything collected, before -m or -k deselect: a selection is not a gap.
    """
    return request.config.stash[SESSION].coverage


@pytest.fixture(scope="session")
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """The run's evidence, gathered once after collection."""
    found = request.config.stash[SESSION].run.evidence
    if found is None:
        raise Inconclusive("no evidence was gathered for this run (is this a check under checks/?)")
    return found


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The environment being checked, as the checks reach it."""
    run = request.config.stash[SESSION].run
    return run.target if run.replay else run.checked_target()


@pytest.fixture
def fact(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """State a fact the check's evidence established, for the reports: `fact("rollback_to",
    "family:3")` fills the runbook's rollback command with that revision.

    Carried on the check's report (so it crosses from xdist workers), not through
    pytest's record_property, which JUnit's xunit2 format does not take.
    """

    def state(name: str, value: str) -> None:
        request.node.user_properties.append((FACT + name, str(value)))

    return state


@pytest.fixture(scope="session")
def commands(runbook: Runbook, target: Target, request: pytest.FixtureRequest) -> Commands:
    """The runbook's commands filled in for the target checked, for a check's message."""
    return Commands(runbook, target, request.config.stash[SESSION].run.reference)


@pytest.fixture(scope="session")
def thresholds(target: Target) -> ThresholdsConfig:
    """The target's thresholds: the runbook's numbers unless the environment says otherwise."""
    return target.thresholds


def _read(evidence: Evidence, name: str, model: type[M]) -> M:
    """One source's value for a check: inconclusive when it could not be read, else attached."""
    value = evidence.get(name)
    if isinstance(value, Unavailable):
        if value.not_configured:
            raise NotConfigured(value.reason)
        inconclusive(value.reason)
    attach(name, value)
    return cast(M, value)


@pytest.fixture
def alarms(evidence: Evidence) -> Alarms:
    """
    Every alarm named in the target, fetched in one call; names AWS does not know are missing.
    """
    return _read(evidence, "alarms", Alarms)


@pytest.fixture
def cache_cluster(evidence: Evidence) -> CacheCluster:
    """
    The ElastiCache cluster of [cache]: status, engine, node type and count.
    """
    return _read(evidence, "cache_cluster", CacheCluster)


@pytest.fixture
def cloudwatch_dashboard(evidence: Evidence) -> Dashboard:
    """
    Whether the CloudWatch dashboard the runbook links to exists (its body is not kept).
    """
    return _read(evidence, "cloudwatch_dashboard", Dashboard)


@pytest.fixture
def dependencies(evidence: Evidence) -> Dependencies:
    """
    One timed GET of each external API in [app] dependencies: status, time, error.
    """
    return _read(evidence, "dependencies", Dependencies)


@pytest.fixture
def deploy_runs(evidence: Evidence) -> DeployRuns:
    """
    The deploy workflow's recent runs, the failed steps of the latest, the last success.
    """
    return _read(evidence, "deploy_runs", DeployRuns)


@pytest.fixture
def ecs_service(evidence: Evidence) -> EcsService:
    """
    The ECS service: status, counts, deployments, latest events, deployment settings.
    """
    return _read(evidence, "ecs_service", EcsService)


@pytest.fixture
def health_endpoint(evidence: Evidence) -> HealthResponse:
    """
    One GET of the application's health URL: status code and time to answer.
    """
    return _read(evidence, "health_endpoint", HealthResponse)


@pytest.fixture
def identity(evidence: Evidence) -> Identity:
    """
    The AWS account id and caller ARN the checks run as.
    """
    return _read(evidence, "identity", Identity)


@pytest.fixture
def log_errors(evidence: Evidence) -> LogErrors:
    """
    ERROR lines in the service's log group in the last 5 minutes, counted up to a cap.
    """
    return _read(evidence, "log_errors", LogErrors)


@pytest.fixture
def log_group_config(evidence: Evidence) -> LogGroup:
    """
    The service's CloudWatch log group: whether it exists, and how long it keeps logs.
    """
    return _read(evidence, "log_group_config", LogGroup)


@pytest.fixture
def metrics(evidence: Evidence) -> Metrics:
    """
    The last hour of every metric the checks grade: ALB, RDS, ECS and cache, in one call.
    """
    return _read(evidence, "metrics", Metrics)


@pytest.fixture
def postgres(evidence: Evidence) -> Postgres:
    """
    Inside the database, read-only: connections, busy sessions, lock waits, migrations.
    """
    return _read(evidence, "postgres", Postgres)


@pytest.fixture
def rds_events(evidence: Evidence) -> RdsEvents:
    """
    The DB instance's RDS events of the last 60 minutes, as `describe-events --duration 60`.
    """
    return _read(evidence, "rds_events", RdsEvents)


@pytest.fixture
def rds_instance(evidence: Evidence) -> RdsInstance:
    """
    The DB instance: status, class, storage, Multi-AZ, backups, deletion protection.
    """
    return _read(evidence, "rds_instance", RdsInstance)


@pytest.fixture
def rds_logs(evidence: Evidence) -> RdsLogs:
    """
    PostgreSQL's log of the last hour, via RDS: slow statements, refusals, deadlocks, disk.
    """
    return _read(evidence, "rds_logs", RdsLogs)


@pytest.fixture
def rds_maintenance(evidence: Evidence) -> RdsMaintenance:
    """
    Maintenance actions pending on the DB instance, with when RDS will apply them.
    """
    return _read(evidence, "rds_maintenance", RdsMaintenance)


@pytest.fixture
def rds_snapshots(evidence: Evidence) -> RdsSnapshots:
    """
    The DB instance's automated and manual snapshots: what a restore would start from.
    """
    return _read(evidence, "rds_snapshots", RdsSnapshots)


@pytest.fixture
def redis(evidence: Evidence) -> RedisInfo:
    """
    Inside Redis: PING round trip, memory against maxmemory, evictions, clients, hit rate.
    """
    return _read(evidence, "redis", RedisInfo)


@pytest.fixture
def sentry_issues(evidence: Evidence) -> SentryActivity:
    """
    Sentry error events and unresolved issues of the last 5 minutes, for the organization.
    """
    return _read(evidence, "sentry_issues", SentryActivity)


@pytest.fixture
def stopped_tasks(evidence: Evidence) -> StoppedTasks:
    """
    Tasks of the service stopped within the window, with their stop reasons and exit codes.
    """
    return _read(evidence, "stopped_tasks", StoppedTasks)


@pytest.fixture
def target_health(evidence: Evidence) -> TargetHealth:
    """
    Every target registered in the service's target group, with its health state.
    """
    return _read(evidence, "target_health", TargetHealth)


@pytest.fixture
def task_definitions(evidence: Evidence) -> TaskDefinitions:
    """
    The family's ACTIVE revisions and the configuration of the one the service runs.
    """
    return _read(evidence, "task_definitions", TaskDefinitions)
