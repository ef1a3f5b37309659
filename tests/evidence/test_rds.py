"""The RDS sources, against moto and the simulator's own answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, read_actions
from opscheck.evidence.rds import (
    default_max_connections,
    rds_events,
    rds_instance,
    rds_maintenance,
    rds_snapshots,
)
from opscheck.simulator.world import World
from tests.helpers import CREDENTIALS, Reply, Request, StartServer
from tests.helpers import SIMULATED as TARGET

# -- max_connections -------------------------------------------------------------------------


def test_default_max_connections_from_class_memory() -> None:
    assert default_max_connections("db.t4g.medium") == 337  # 4 GiB * 0.75 / 9531392
    # Measured: a db.t4g.small allows 181. The estimate must err low, never high.
    assert default_max_connections("db.t4g.small") == 168 < 181
    assert default_max_connections("db.t3.micro") == 84
    assert default_max_connections("db.r6g.4xlarge") == 5000  # capped
    assert default_max_connections("db.x2g.large") is None


# -- the sources, against moto and the simulator's own answer --------------------------------


def context(url: str, identifier: str) -> Context:
    target = TARGET.model_copy(
        update={"rds": TARGET.rds.model_copy(update={"instance": identifier})}
    )
    aws = ReadOnlySession("us-east-2", read_actions(), endpoint_url=url, credentials=CREDENTIALS)
    return Context(target=target, aws=aws, http=requests.Session(), now=datetime.now(UTC))


def create(url: str, identifier: str) -> None:
    boto3.client(
        "rds", region_name="us-east-2", endpoint_url=url, **CREDENTIALS
    ).create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        AllocatedStorage=50,
        MaxAllocatedStorage=80,
        MasterUsername="opscheck",
        MasterUserPassword="tests-only",
        BackupRetentionPeriod=7,
        MultiAZ=True,
        DeletionProtection=True,
    )


def test_instance_events_and_snapshots_read_from_moto(moto_url: str) -> None:
    from moto.rds.models import rds_backends

    create(moto_url, "opscheck-tests-db")
    ctx = context(moto_url, "opscheck-tests-db")
    db = rds_instance(ctx)
    assert (db.status, db.instance_class, db.allocated_storage_gib) == (
        "available",
        "db.t4g.medium",
        50,
    )
    assert (db.max_allocated_storage_gib, db.multi_az, db.backup_retention_days) == (80, True, 7)
    assert db.deletion_protection and db.maintenance_window
    # moto ignores Duration: an event older than the hour is dropped here.
    backend = rds_backends["123456789012"]["us-east-2"]
    mine = [e for e in backend.events if e.source_identifier == "opscheck-tests-db"]
    mine[-1].date -= timedelta(hours=3)
    found = rds_events(ctx)
    assert found.window_minutes == 60
    assert [e.message for e in found.events] == [e.message for e in mine[:-1]]
    assert found.events[0].categories == ("creation",)
    snaps = rds_snapshots(ctx)
    assert snaps.newest is not None and snaps.newest.kind == "automated"


def test_missing_instance_read_as_missing(moto_url: str) -> None:
    db = rds_instance(context(moto_url, "opscheck-tests-no-such-db"))
    assert db.status == "MISSING" and "opscheck-tests-no-such-db" in (db.missing_reason or "")


def test_pending_maintenance_parsed_from_the_simulators_answer(
    moto_url: str, local_server: StartServer
) -> None:
    """The XML the simulator answers, read back through botocore by the source."""
    from opscheck.simulator.effects import rds as effects

    create(moto_url, "opscheck-tests-maint")
    ctx = context(moto_url, "opscheck-tests-maint")
    world = World(ctx.target, moto_url)
    effects.plan_maintenance(
        world,
        effects.MaintenanceChanges.model_validate(
            [{"action": "system-update", "description": "OS <update> & more", "apply_in_days": 2}]
        ),
        None,  # type: ignore[arg-type]
    )

    def answer(request: Request) -> Reply:
        xml = effects.pending_maintenance(world, request.form())
        return Reply(body=xml, content_type="text/xml")

    server = local_server(answer)
    found = rds_maintenance(context(server.url, "opscheck-tests-maint"))
    other = rds_maintenance(context(server.url, "opscheck-tests-other"))
    seen = [r.form() for r in server.requests]
    assert seen[0]["Action"] == "DescribePendingMaintenanceActions"
    assert seen[0]["Filters.Filter.1.Values.Value.1"] == "opscheck-tests-maint"
    (action,) = found.actions
    assert (action.action, action.description) == ("system-update", "OS <update> & more")
    assert action.applies_at is not None
    assert timedelta(days=1.9) < action.applies_at - found.read_at < timedelta(days=2.1)
    assert other.actions == ()


def test_a_custom_parameter_groups_max_connections_is_read(moto_url: str) -> None:
    rds = boto3.client("rds", region_name="us-east-2", endpoint_url=moto_url, **CREDENTIALS)
    rds.create_db_parameter_group(
        DBParameterGroupName="saaspe-pg15",
        DBParameterGroupFamily="postgres15",
        Description="the team's own",
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="saaspe-pg15",
        Parameters=[
            {
                "ParameterName": "max_connections",
                "ParameterValue": "120",
                "ApplyMethod": "pending-reboot",
            },
            {
                "ParameterName": "log_min_duration_statement",
                "ParameterValue": "1000",
                "ApplyMethod": "immediate",
            },
        ],
    )
    create(moto_url, "opscheck-tests-db-custom-group")
    rds.modify_db_instance(
        DBInstanceIdentifier="opscheck-tests-db-custom-group", DBParameterGroupName="saaspe-pg15"
    )
    db = rds_instance(context(moto_url, "opscheck-tests-db-custom-group"))
    assert (db.parameter_group, db.max_connections_setting) == ("saaspe-pg15", "120")
    assert db.log_min_duration_statement_setting == "1000"  # read in the same call


def test_a_default_parameter_group_is_not_read(moto_url: str) -> None:
    """A default group cannot be changed: RDS's formula holds, and no call is spent on it."""
    create(moto_url, "opscheck-tests-db-default-group")
    ctx = context(moto_url, "opscheck-tests-db-default-group")
    db = rds_instance(ctx)
    assert db.parameter_group is not None and db.parameter_group.startswith("default.")
    assert db.max_connections_setting is None and db.log_min_duration_statement_setting is None
    assert "rds:DescribeDBParameters" not in ctx.aws.calls
