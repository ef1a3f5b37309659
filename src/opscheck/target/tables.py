"""The tables of an environment file, as immutable models: ``Target`` and one per table.

Strict and closed: a wrong type or an unknown key is an error, and a token pasted where the
name of its environment variable belongs is refused rather than kept.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from opscheck.redact import looks_secret


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise PydanticCustomError("http_url", "must be an http:// or https:// URL")
    return value


def _variable_name(value: str) -> str:
    """A pasted token (``ghp_...``, ``AKIA...``) is caught here instead of used as a name."""
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", value) or looks_secret(value):
        raise PydanticCustomError(
            "env_name", "must be the NAME of an environment variable, not the token itself"
        )
    return value


def _owner_and_name(value: str) -> str:
    owner, _, repo = value.partition("/")
    if not owner or not repo or "/" in repo:
        raise PydanticCustomError("repo", "must be 'owner/name'")
    return value


def _role_arn(value: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+", value):
        raise PydanticCustomError(
            "role_arn", "must be an IAM role ARN: arn:aws:iam::ACCOUNT_ID:role/NAME"
        )
    return value


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class _Resource:
    """Marks a field whose value names a resource, for the runbook's commands to be filled in
    with (`Target.names`); tokens, URLs and settings are not marked."""

    def __repr__(self) -> str:
        return "RESOURCE"


RESOURCE = _Resource()
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Url = Annotated[str, AfterValidator(_http_url)]
EnvName = Annotated[Name, AfterValidator(_variable_name)]
OptionalName = Annotated[Name | None, BeforeValidator(_blank_is_none)]
OptionalUrl = Annotated[Url | None, BeforeValidator(_blank_is_none)]
RoleArn = Annotated[Name, AfterValidator(_role_arn)]
Resource = Annotated[Name, RESOURCE]


class _Table(BaseModel):
    """Strict: a TOML file is already typed, so ``"5"`` where a number belongs is a mistake."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AwsConfig(_Table):
    region: Resource = Field(description="the AWS region, e.g. us-east-2")
    profile: OptionalName = Field(None, description="a named AWS profile")
    role_arn: Annotated[RoleArn | None, BeforeValidator(_blank_is_none)] = Field(
        None, description="a role to assume and read as, e.g. in another account"
    )
    endpoint_url: OptionalUrl = Field(None, description="an AWS-compatible endpoint")


class EcsConfig(_Table):
    cluster: Resource = Field(description="the ECS cluster name")
    service: Resource = Field(description="the ECS service name")
    task_family: Resource = Field(description="the task definition family")
    log_group: Resource = Field(description="the CloudWatch log group of the tasks")
    required_env: list[Name] = Field(
        [], description="variables the essential container must have (plain or secret)"
    )


class AlbConfig(_Table):
    name: Resource = Field(description="the load balancer name")
    dimension: Annotated[OptionalName, RESOURCE] = Field(
        None, description="the CloudWatch LoadBalancer dimension"
    )
    target_group: Resource = Field(description="the target group name")


class RdsConfig(_Table):
    instance: Resource = Field(description="the RDS DB instance identifier")


class CacheConfig(_Table):
    cluster: Resource = Field(description="the ElastiCache cluster id")


class PostgresConfig(_Table):
    """A direct, read-only connection to the database, for runners that can reach it."""

    dsn_env: EnvName = Field(
        description="the variable holding the database URL (postgresql://user:password@host/db)"
    )
    migrations: OptionalName = Field(
        None,
        description="the repository's prisma/migrations folder, relative to the environment file",
    )
    connect_timeout_s: int = Field(5, ge=1, description="seconds to wait for a connection")

    def migrations_folder(self, environment_file: Path) -> Path | None:
        if self.migrations is None:
            return None
        return (environment_file.parent / self.migrations).resolve()


class RedisConfig(_Table):
    """A direct, read-only look at the Redis the service uses (PING and INFO)."""

    url_env: EnvName = Field(
        description="the variable holding the Redis URL (redis://:password@host:6379/0)"
    )
    connect_timeout_s: float = Field(5.0, gt=0, description="seconds to wait for an answer")


class AlarmsConfig(_Table):
    alb_unhealthy_targets: Resource = Field(description="the alarm for unhealthy ALB targets")
    application_errors_high: Resource = Field(description="the alarm for a high error rate")
    rds_cpu_high: Resource = Field(description="the alarm for high RDS CPU")
    alb_high_response_time: Resource = Field(description="the alarm for slow ALB responses")


class CloudWatchConfig(_Table):
    dashboard: Resource = Field(description="the CloudWatch dashboard name")


class AppConfig(_Table):
    health_url: OptionalUrl = Field(None, description="the application's health endpoint")
    dependencies: dict[str, Url] = Field(
        {}, description="health URLs of the external APIs the service depends on, by name"
    )
    health_timeout_s: float = Field(5.0, gt=0, description="seconds to wait for the health URL")


class SentryConfig(_Table):
    org: Resource = Field(description="the Sentry organization slug")
    api_base: Url = Field("https://sentry.io/api/0", description="the Sentry API base URL")
    token_env: EnvName = Field("SENTRY_AUTH_TOKEN", description="the variable holding the token")


class GithubConfig(_Table):
    repo: Annotated[Resource, AfterValidator(_owner_and_name)] = Field(
        description="the repository, owner/name"
    )
    workflow: Resource = Field(description="the deploy workflow file, e.g. backend-deploy.yml")
    api_base: Url = Field("https://api.github.com", description="the GitHub API base URL")
    token_env: EnvName = Field("GITHUB_TOKEN", description="the variable holding the token")


Fraction = Annotated[float, Field(ge=0, le=1)]


class ThresholdsConfig(_Table):
    """Limits the checks grade against. Defaults are the runbook's numbers where it gives one
    (its severity table and scenarios), and common practice where it does not."""

    min_running_tasks: int = Field(1, ge=0, description="running tasks must reach this too")
    stopped_task_window_minutes: int = Field(60, ge=1, description="how far back stops count")
    max_abnormal_stops: int = Field(
        3, ge=0, description="tasks that may crash or be killed in that window"
    )
    # Runbook: P1 "High error rate (>10% requests)", P2 "elevated error rate (>5%)".
    error_rate_p1: Fraction = Field(0.10, description="5xx share of requests that is P1")
    error_rate_p2: Fraction = Field(0.05, description="5xx share of requests that is P2")
    # Runbook, scenario 2: ">100 errors in 5 minutes".
    error_lines_5m: int = Field(100, ge=0, description="ERROR log lines in 5 minutes")
    sentry_events_5m: int = Field(100, ge=0, description="Sentry error events in 5 minutes")
    # Runbook: scenario 4 "P95 latency >2 seconds" (P2), P1 "slow response (>5s)".
    p95_latency_p2_s: float = Field(2.0, gt=0, description="p95 response time that is P2")
    p95_latency_p1_s: float = Field(5.0, gt=0, description="p95 response time that is P1")
    rds_cpu_percent: float = Field(80.0, gt=0, le=100, description="RDS CPU average that is high")
    ecs_cpu_percent: float = Field(85.0, gt=0, le=100, description="ECS CPU average that is high")
    ecs_memory_percent: float = Field(85.0, gt=0, le=100, description="ECS memory that is high")
    rds_min_free_storage: Fraction = Field(0.10, description="share of storage that must be free")
    rds_connections_ratio: Fraction = Field(0.90, description="share of max_connections in use")
    rds_max_connections: int | None = Field(
        None, ge=1, description="max_connections, when it is not the default for the class"
    )
    # Runbook, scenario 4: a statement alone slower than the "P95 latency >2 seconds" budget.
    rds_slow_statement_ms: float = Field(
        2000.0, gt=0, description="a statement in the RDS log slower than this is slow"
    )
    rds_deadlocks_p1: int = Field(
        5, ge=1, description="deadlocks in the RDS log's hour from which they are P1, not P2"
    )
    cache_min_hit_rate: Fraction = Field(0.80, description="Redis hit rate below which it misses")
    cache_max_evictions: int = Field(0, ge=0, description="Redis evictions allowed in an hour")
    # Inside the database and the cache ([postgres], [redis]).
    pg_long_query_s: float = Field(60.0, gt=0, description="a statement running longer is slow")
    pg_idle_in_transaction_s: float = Field(
        300.0, gt=0, description="a transaction left open, idle, longer holds its locks too long"
    )
    pg_lock_wait_s: float = Field(10.0, gt=0, description="a session waiting on a lock longer")
    redis_memory_ratio: Fraction = Field(0.90, description="share of maxmemory that is full")
    redis_clients_ratio: Fraction = Field(0.90, description="share of maxclients in use")
    redis_ping_slow_ms: float = Field(50.0, gt=0, description="a PING round trip that is slow")
    cache_min_lookups: int = Field(
        100, ge=1, description="lookups Redis needs to have answered for its hit rate to count"
    )
    backup_retention_days: int = Field(7, ge=1, description="automated backups kept at least")
    snapshot_max_age_hours: float = Field(
        24.0, gt=0, description="newest snapshot at most, beyond the backup window"
    )
    p95_min_requests: int = Field(
        20, ge=1, description="requests a 5-minute period needs for its p95 to be graded"
    )
    restorable_within_minutes: int = Field(
        15, gt=0, description="point-in-time restore reaches at least this close to now"
    )
    deployment_stuck_minutes: int = Field(30, ge=1, description="a rollout in progress longer")
    dependency_slow_s: float = Field(2.0, gt=0, description="an external API answering slower")
    traffic_spike_ratio: float = Field(
        3.0, gt=1, description="requests in 5 minutes against the hour's average, a spike"
    )


class SimulatorConfig(_Table):
    latency_ms: int = Field(0, ge=0, description="latency added to every simulated AWS call")
    # Set by the simulator when it runs a PostgreSQL and a Redis (their binaries installed):
    # what [postgres] and [redis] reach in the simulation, in place of their variables.
    postgres_url: OptionalName = Field(None, description="the simulated database's URL")
    redis_url: OptionalName = Field(None, description="the simulated Redis's URL")


class Target(_Table):
    """One environment, fully named. ``path`` is where it was read from, set by ``load``."""

    name: Name = Field(description="the environment's name, equal to the file name")
    description: str = Field("", description="what this environment is")
    aws: AwsConfig = Field(description="the [aws] table: region and credentials")
    ecs: EcsConfig = Field(description="the [ecs] table: cluster, service, tasks, logs")
    alb: AlbConfig = Field(description="the [alb] table: load balancer and target group")
    rds: RdsConfig = Field(description="the [rds] table: the database instance")
    cache: CacheConfig | None = Field(None, description="the [cache] table: Redis")
    postgres: PostgresConfig | None = Field(
        None, description="the [postgres] table: a direct connection to the database"
    )
    redis: RedisConfig | None = Field(None, description="the [redis] table: a direct look at Redis")
    alarms: AlarmsConfig = Field(description="the [alarms] table: alarm names by role")
    cloudwatch: CloudWatchConfig = Field(description="the [cloudwatch] table: the dashboard")
    app: AppConfig = Field(AppConfig(), description="the [app] table: the health endpoint")
    sentry: SentryConfig | None = Field(None, description="the [sentry] table")
    github: GithubConfig | None = Field(None, description="the [github] table")
    thresholds: ThresholdsConfig = Field(ThresholdsConfig(), description="the [thresholds] table")
    simulator: SimulatorConfig | None = Field(None, description="present only when simulated")
    path: Path = Field(exclude=True, description="the file this target was read from")

    @field_validator("name")
    @classmethod
    def _name_is_file_stem(cls, value: str, info: ValidationInfo) -> str:
        """A file renamed but not edited would silently check the wrong environment."""
        stem = (info.context or {}).get("stem")
        if stem is not None and value != stem:
            raise PydanticCustomError(
                "name_mismatch", "must be '{stem}' to match the file name", {"stem": stem}
            )
        return value

    @property
    def simulated(self) -> bool:
        return self.simulator is not None

    def token(self, service: Literal["sentry", "github"]) -> str | None:
        """The service's token from the environment variable the file names; never from the file."""
        section = self.sentry if service == "sentry" else self.github
        if section and self.simulated:
            return "simulated"  # the simulator's own APIs; never a real token
        return (os.environ.get(section.token_env) or None) if section else None

    def connection_url(self, service: Literal["postgres", "redis"]) -> str | None:
        """The URL of [postgres] or [redis] from the variable the file names, never the file;
        in the simulation, the simulator's own server (None when it runs none)."""
        section = self.postgres if service == "postgres" else self.redis
        if section is None:
            return None
        if self.simulator is not None:
            return getattr(self.simulator, f"{service}_url")
        variable = section.dsn_env if isinstance(section, PostgresConfig) else section.url_env
        return os.environ.get(variable) or None

    def names(self) -> dict[str, str]:
        """Every resource name as ``"ecs.cluster" -> value``, to fill the runbook's commands.

        Walks the tables for fields marked as resources, so a name added to a table is
        filled in without being listed here too.
        """
        found: dict[str, str] = {}
        for section in type(self).model_fields:
            table = getattr(self, section)
            if not isinstance(table, _Table):
                continue
            for key, field in type(table).model_fields.items():
                value = getattr(table, key)
                if RESOURCE in field.metadata and isinstance(value, str):
                    found[f"{section}.{key}"] = value
        return found
