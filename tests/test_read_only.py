"""Proof that opscheck only reads: AWS itself refuses anything else to the role it runs as.

The simulated production runs the checks as an IAM user holding only the policy that
`python -m opscheck.iam policy` prints, with moto's IAM enforcement on. The end-to-end
tests show that policy is enough (every check is evaluated on the healthy simulation,
tests/test_end_to_end.py) and that a policy missing one action leaves exactly the checks
that need it inconclusive, naming the action (the `role-lacks-*` faults). Here: writes are
refused by AWS as well as by opscheck's own guard.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from opscheck.aws import ReadOnlySession, ReadOnlyViolation, check_read_only
from opscheck.evidence import read_actions
from opscheck.simulator import Simulator
from tests.helpers import SIMULATED as TARGET
from tests.helpers import Serve, session, simulator

# Writes an engineer makes while following the runbook, and a few it never should.
WRITES = [
    (
        "ecs",
        "update_service",
        {"cluster": TARGET.ecs.cluster, "service": TARGET.ecs.service, "desiredCount": 0},
    ),
    (
        "rds",
        "modify_db_instance",
        {"DBInstanceIdentifier": TARGET.rds.instance, "AllocatedStorage": 500},
    ),
    ("rds", "reboot_db_instance", {"DBInstanceIdentifier": TARGET.rds.instance}),
    (
        "cloudwatch",
        "set_alarm_state",
        {
            "AlarmName": TARGET.alarms.alb_unhealthy_targets,
            "StateValue": "OK",
            "StateReason": "silenced",
        },
    ),
    ("cloudwatch", "delete_dashboards", {"DashboardNames": [TARGET.cloudwatch.dashboard]}),
    ("logs", "delete_log_group", {"logGroupName": TARGET.ecs.log_group}),
    ("elbv2", "describe_account_limits", {}),  # a read, but not one opscheck uses
]
DENIED = {"AccessDenied", "AccessDeniedException", "403"}


@pytest.fixture(scope="module")
def simulated():
    sim = simulator()
    yield sim
    sim.stop()


def plain_client(sim: Simulator, service: str, **credentials: str):
    """A boto3 client with no guard at all: only AWS (here moto's IAM) stands in the way."""
    return boto3.client(
        service,
        endpoint_url=sim.aws_url,
        region_name=TARGET.aws.region,
        **(credentials or sim.credentials),
    )


@pytest.mark.parametrize(("service", "operation", "params"), WRITES, ids=lambda v: str(v)[:30])
def test_aws_refuses_the_role_anything_but_its_reads(simulated, service, operation, params):
    with pytest.raises(ClientError) as refused:
        getattr(plain_client(simulated, service), operation)(**params)
    assert refused.value.response["Error"]["Code"] in DENIED


@pytest.mark.parametrize(("service", "operation", "params"), WRITES, ids=lambda v: str(v)[:30])
def test_opscheck_refuses_them_before_sending(simulated, service, operation, params):
    session = ReadOnlySession(
        TARGET.aws.region,
        read_actions(),
        endpoint_url=simulated.aws_url,
        credentials=simulated.credentials,
    )
    with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
        getattr(session.client(service), operation)(**params)
    assert sum(session.calls.values()) == 0


def test_the_same_role_can_read_what_the_checks_read(simulated):
    """The refusals above are the policy's doing, not credentials AWS does not know."""
    ecs = plain_client(simulated, "ecs")
    services = ecs.describe_services(cluster=TARGET.ecs.cluster, services=[TARGET.ecs.service])
    assert services["services"][0]["serviceName"] == TARGET.ecs.service
    me = plain_client(simulated, "sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{simulated.account}:user/opscheck-readonly"


def test_unknown_credentials_are_refused(simulated):
    ecs = plain_client(
        simulated, "ecs", aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x"
    )
    with pytest.raises(ClientError) as refused:
        ecs.describe_services(cluster=TARGET.ecs.cluster, services=[TARGET.ecs.service])
    assert refused.value.response["Error"]["Code"] in {"InvalidClientTokenId", "403"}


def test_a_fault_can_only_deny_an_action_opscheck_uses():
    from opscheck.simulator.catalog import CatalogError, Fault
    from opscheck.simulator.effects.access import PermissionsChange, narrow_permissions
    from opscheck.simulator.world import World

    fault = Fault(name="typo", summary="", scenario="all-ecs-tasks-down")
    change = PermissionsChange(deny=("ecs:DescribeService",))
    with pytest.raises(CatalogError, match="names ecs:DescribeService, which opscheck does not"):
        narrow_permissions(World(TARGET, "http://127.0.0.1:9"), change, fault)


# -- the read-only guard ---------------------------------------------------------------------


@pytest.mark.usefixtures("no_ambient_aws")
def test_guard_refuses_a_mutating_call_before_sending_it(serve: Serve) -> None:
    server = serve(200, b"{}")
    aws = session(server.url)
    with pytest.raises(ReadOnlyViolation, match="refused ecs:UpdateService") as refused:
        aws.client("ecs").update_service(cluster="c", service="s", desiredCount=0)
    assert "nothing was sent" in str(refused.value)
    assert server.requests == []
    assert aws.calls == {}


@pytest.mark.usefixtures("no_ambient_aws")
@pytest.mark.parametrize(
    "action", ["ecs:UpdateService", "ecs:StopTask", "elasticloadbalancing:DeregisterTargets"]
)
def test_check_read_only_refuses_write_actions(action: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=f"{action} is not a read operation"):
        check_read_only(["ecs:DescribeServices", action])


@pytest.mark.usefixtures("no_ambient_aws")
def test_every_declared_source_action_is_a_read() -> None:
    actions = read_actions()
    assert check_read_only(actions) == actions
    assert {"ecs:DescribeServices", "cloudwatch:DescribeAlarms"} <= actions
