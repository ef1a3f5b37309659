"""Hand-built evidence the checks of several scenarios are called on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from opscheck.commands import Commands
from opscheck.evidence.cloudwatch import Alarm, Alarms
from opscheck.evidence.dependencies import Dependencies, DependencyAnswer
from opscheck.evidence.ecs import Deployment, EcsService
from opscheck.evidence.elb import TargetHealth, TargetState
from opscheck.evidence.metrics import QUERIES, Metrics, Series
from opscheck.evidence.rds import RdsInstance
from opscheck.evidence.rdslogs import LogLine, Matches, RdsLogs, SlowStatement
from opscheck.outcomes import Failure, Inconclusive
from opscheck.runbook import load as load_runbook
from opscheck.simulator.effects.metrics import HEALTHY
from opscheck.target import load as load_target
from tests.helpers import NOW, ROOT, TASK_DEFINITION
from tests.helpers import SIMULATED as TARGET

FACTS: dict[str, str] = {}  # what checks state with the fact fixture
LB = "app/saaspe-production-alb/4361f80389f5693e"


# -- evidence builders -----------------------------------------------------------------------

QUERY = {q.key: q for q in QUERIES}


DIMENSIONS = {
    "AWS/ApplicationELB": {"LoadBalancer": LB},
    "AWS/RDS": {"DBInstanceIdentifier": "saaspe-production-postgres"},
    "AWS/ECS": {"ClusterName": "saaspe-production-cluster", "ServiceName": "x-service"},
    "AWS/ElastiCache": {"CacheClusterId": "saaspe-production-redis"},
}


def series(key: str, values: list[float]) -> Series:
    """A series of `values`, one per period, the last one starting a period before NOW."""
    q = QUERY[key]
    step = timedelta(seconds=q.period_s)
    return Series(
        key=key,
        namespace=q.namespace,
        metric=q.metric,
        stat=q.stat,
        period_s=q.period_s,
        dimensions=DIMENSIONS[q.namespace],
        zero_when_absent=q.zero_when_absent,
        timestamps=tuple(NOW - step * (len(values) - i) for i in range(len(values))),
        values=tuple(values),
    )


def hour(key: str, value: float, recent: float | None = None, minutes: int = 5) -> Series:
    """An hour of `value`, its last `minutes` (or 5-minute periods' share) at `recent`."""
    count = 3600 // QUERY[key].period_s
    values = [value] * count
    if recent is not None:
        last = max(1, minutes * 60 // QUERY[key].period_s)
        values[-last:] = [recent] * last
    return series(key, values)


def metrics(*changed: Series, drop: tuple[str, ...] = ()) -> Metrics:
    """An hour of every series at the simulated production's healthy values, then `changed`."""
    found = {k: hour(k, v) for k, v in HEALTHY.items()}
    found["alb_elb_5xx"] = series("alb_elb_5xx", [])  # published only when not zero
    found |= {s.key: s for s in changed}
    for key in drop:
        found.pop(key)
    return Metrics(start=NOW - timedelta(hours=1), end=NOW, series=found)


def answer(name: str = "external-api", **fields: object) -> DependencyAnswer:
    values: dict[str, object] = {
        "name": name,
        "url": f"https://{name}.example/health",
        "timeout_s": 5.0,
        "status": 200,
        "elapsed_s": 0.05,
    }
    return DependencyAnswer(**(values | fields))


def deps(*answers: DependencyAnswer) -> Dependencies:
    return Dependencies(configured_in="simulated.toml", answers=answers)


def alarms(*found: Alarm, missing: tuple[str, ...] = ()) -> Alarms:
    return Alarms(region="us-east-2", alarms={a.name: a for a in found}, missing=missing)


def target(
    id_: str, state: str, reason: str | None = None, description: str | None = None
) -> TargetState:
    return TargetState(id=id_, port=3000, state=state, reason=reason, description=description)


def targets(*states: TargetState, exists: bool = True) -> TargetHealth:
    return TargetHealth(target_group=TARGET.alb.target_group, exists=exists, targets=states)


DB = TARGET.rds.instance


def instance(**fields: Any) -> RdsInstance:
    values: dict[str, Any] = {
        "identifier": DB,
        "status": "available",
        "instance_class": "db.t4g.medium",
        "engine": "postgres",
        "allocated_storage_gib": 50,
        "max_allocated_storage_gib": 100,
        "multi_az": True,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "maintenance_window": "wed:06:38-wed:07:08",
    }
    return RdsInstance(**(values | fields))


MISSING = RdsInstance(identifier=DB, status="MISSING", missing_reason=f"DBInstance {DB} not found.")


def failure(check: Any, *args: Any) -> Failure | AssertionError:
    with pytest.raises(AssertionError) as raised:
        check(*args)
    return raised.value


def inconclusive_reason(check: Any, *args: Any) -> str:
    with pytest.raises(Inconclusive) as raised:
        check(*args)
    return raised.value.reason


def deployment(**fields: Any) -> Deployment:
    values: dict[str, Any] = {
        "id": "ecs-svc/1",
        "status": "PRIMARY",
        "task_definition": f"{TASK_DEFINITION}:43",
        "desired": 2,
        "running": 2,
        "pending": 0,
        "rollout_state": "COMPLETED",
        "created_at": NOW - timedelta(hours=3),
    }
    return Deployment(**(values | fields))


def service(*deployments: Deployment, **fields: Any) -> EcsService:
    values: dict[str, Any] = {
        "cluster": "saaspe-production-cluster",
        "name": "saaspe-production-service",
        "status": "ACTIVE",
        "desired": 2,
        "running": 2,
        "deployments": deployments or (deployment(),),
    }
    return EcsService(**(values | fields))


# -- the RDS log -----------------------------------------------------------------------------

# The runbook's commands filled in for the simulated target, as the commands fixture gives them.
COMMANDS = Commands(
    load_runbook(ROOT / "runbook/incident-response.md"),
    TARGET,
    load_target("production", ROOT).names(),
)
LOG_FILE = "error/postgresql.log.2026-11-26-14"


def log_line(text: str, minutes_ago: float = 3) -> LogLine:
    return LogLine(
        at=NOW - timedelta(minutes=minutes_ago), file=LOG_FILE, text=text, who="app@saaspe"
    )


def matches(*lines: LogLine) -> Matches:
    return Matches(count=len(lines), samples=lines[-3:])


def slow(duration_ms: float, statement: str = 'SELECT * FROM "Proposal"') -> SlowStatement:
    return SlowStatement(
        at=NOW - timedelta(minutes=9),
        file=LOG_FILE,
        duration_ms=duration_ms,
        statement=statement,
        who="app@saaspe",
    )


def rds_log(**fields: Any) -> RdsLogs:
    """The last hour of the instance's log, read whole, with nothing wrong in it."""
    values: dict[str, Any] = {
        "instance": DB,
        "start": NOW - timedelta(hours=1),
        "end": NOW,
        "files": (LOG_FILE, "error/postgresql.log.2026-11-26-13"),
        "bytes_read": 12_000,
        "lines": 80,
        "slow_log_ms": 500.0,
        "parameter_group": "saaspe-pg16",
    }
    return RdsLogs(**(values | fields))
