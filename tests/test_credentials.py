"""Credentials the AWS way: the standard chain, and a role to read as from the environment file.

Run as a user would: production's environment file with `[aws] role_arn` set, pointed at
an AWS-compatible server on 127.0.0.1 by AWS_ENDPOINT_URL, credentials from the environment.
"""

from __future__ import annotations

import os

import boto3

from tests.helpers import PRODUCTION, ROOT, run_checks, simulator

OTHER_ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/opscheck-readonly"


def production_with_role(tmp_path, role_arn: str):
    text = (ROOT / "environments/production.toml").read_text(encoding="utf-8")
    text = text.replace('# role_arn = "arn:aws:iam::123456789012:role/opscheck-readonly"', "")
    text = text.replace('region = "us-east-2"', f'region = "us-east-2"\nrole_arn = "{role_arn}"')
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "production.toml").write_text(text, encoding="utf-8")
    return folder / "production.toml"


def environment(endpoint: str, key: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret)
    return env


def test_checks_read_as_the_role_in_its_own_account(tmp_path, moto_url):
    # The service exists only in the role's account: reading it proves where the reads went.
    keys = boto3.client(
        "sts",
        endpoint_url=moto_url,
        region_name="us-east-2",
        aws_access_key_id="AKIABASEIDENTITY0000",
        aws_secret_access_key="base",
    ).assume_role(RoleArn=ROLE, RoleSessionName="seed")["Credentials"]
    ecs = boto3.client(
        "ecs",
        endpoint_url=moto_url,
        region_name="us-east-2",
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
    )
    ecs.create_cluster(clusterName=PRODUCTION.ecs.cluster)
    ecs.register_task_definition(
        family=PRODUCTION.ecs.task_family,
        containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}],
    )
    ecs.create_service(
        cluster=PRODUCTION.ecs.cluster,
        serviceName=PRODUCTION.ecs.service,
        taskDefinition=PRODUCTION.ecs.task_family,
        desiredCount=0,
    )
    path = production_with_role(tmp_path, ROLE)
    result = run_checks(
        tmp_path,
        f"--env={path}",
        "-k",
        "test_service_is_active",
        env=environment(moto_url, "AKIABASEIDENTITY0000", "base"),
    )
    assert f"reading as the role {ROLE} ([aws] role_arn)" in result.output
    assert (
        f"AWS account {OTHER_ACCOUNT} as arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/"
        "opscheck-readonly/opscheck" in result.output
    )
    assert result.named("passed") == {"test_service_is_active"}, result.output


def test_a_role_that_cannot_be_assumed_leaves_every_check_inconclusive(tmp_path):
    """The simulation's read-only user may not assume roles: AWS says no, opscheck says why."""
    sim = simulator()
    try:
        path = production_with_role(tmp_path, ROLE)
        env = environment(
            sim.aws_url,
            **{
                "key": sim.credentials["aws_access_key_id"],
                "secret": sim.credentials["aws_secret_access_key"],
            },
        )
        result = run_checks(tmp_path, f"--env={path}", "-m", "p0", env=env)
    finally:
        sim.stop()
    assert result.returncode == 1
    aws_checks = {
        n
        for n, c in result.checks.items()
        if n != "test_health_endpoint_answers" and c.outcome != "not_configured"
    }
    assert aws_checks and aws_checks <= result.named("inconclusive")
    message = result.checks["test_service_is_active"].message
    assert message.startswith(f"could not assume [aws] role_arn {ROLE}: sts:AssumeRole was denied")
    assert "the role's trust policy must trust it" in message
    assert "AWS account UNKNOWN (could not assume [aws] role_arn" in result.output


def test_a_profile_names_where_botocore_finds_its_models(tmp_path, monkeypatch):
    """`data_path` in a profile of the AWS config file is honoured, as boto3 honours it,
    though opscheck keeps one model loader per process."""
    from opscheck.aws import ReadOnlySession

    models = tmp_path / "models"
    models.mkdir()
    config = tmp_path / "config"
    config.write_text(f"[profile team]\ndata_path = {models}\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = ReadOnlySession("us-east-2", ["sts:GetCallerIdentity"], profile="team")
    assert str(models) in session._start.get_component("data_loader").search_paths
    plain = ReadOnlySession("us-east-2", ["sts:GetCallerIdentity"])
    assert str(models) not in plain._start.get_component("data_loader").search_paths
