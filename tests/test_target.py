"""The environment files and the loader's messages: a bad file must say what to fix, and where."""

from pathlib import Path

import pydantic
import pytest

from opscheck.target import Target, TargetError, available, load
from tests.helpers import ROOT

VALID = """\
name = "x"

[aws]
region = "eu-west-1"

[ecs]
cluster = "c"
service = "s"
task_family = "f"
log_group = "/ecs/x"

[alb]
name = "a"
target_group = "tg"

[rds]
instance = "db"

[alarms]
alb_unhealthy_targets = "a1"
application_errors_high = "a2"
rds_cpu_high = "a3"
alb_high_response_time = "a4"

[cloudwatch]
dashboard = "d"

[thresholds]
min_running_tasks = 1
"""


def write(tmp_path: Path, text: str, stem: str = "x") -> Path:
    folder = tmp_path / "environments"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.toml").write_text(text)
    return tmp_path


def error_of(tmp_path: Path, text: str, stem: str = "x") -> str:
    root = write(tmp_path, text, stem)
    with pytest.raises(TargetError) as caught:
        load(stem, root)
    return str(caught.value)


def test_shipped_environments_are_listed_and_load() -> None:
    assert {"production", "simulated"} <= set(available(ROOT))
    for name in ("production", "simulated"):
        assert load(name, ROOT).name == name


def test_production_uses_the_runbook_names() -> None:
    target = load("production", ROOT)
    assert target.aws.region == "us-east-2"
    assert not target.simulated
    assert target.path == ROOT / "environments" / "production.toml"
    assert target.ecs.cluster == "saaspe-production-cluster"
    assert target.ecs.service == "saaspe-production-service"
    assert target.ecs.task_family == "saaspe-production-backend"
    assert target.ecs.log_group == "/ecs/saaspe-production"
    assert target.alb.dimension == "app/saaspe-production-alb/4361f80389f5693e"
    assert target.rds.instance == "saaspe-production-postgres"
    assert target.alarms.rds_cpu_high == "saaspe-production-rds-cpu-high"
    assert target.cloudwatch.dashboard == "saaspe-production-overview"
    assert target.app.health_url is None
    assert target.sentry is not None and target.sentry.org == "o4510247421018112"
    assert target.github is not None and target.github.repo == "Dnick20/SaasPE"
    assert target.github.workflow == "backend-deploy.yml"


def test_simulated_is_simulated_and_has_a_health_url() -> None:
    target = load("simulated", ROOT)
    assert target.simulated
    assert target.simulator is not None and target.simulator.latency_ms == 0
    assert target.app.health_url == "https://api.saaspe.example/health"


def test_load_by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert load("environments/production.toml", Path("/nonexistent")).name == "production"


def test_names_are_flat_dotted_strings() -> None:
    names = load("production", ROOT).names()
    assert names["aws.region"] == "us-east-2"
    assert names["ecs.service"] == "saaspe-production-service"
    assert names["alb.dimension"] == "app/saaspe-production-alb/4361f80389f5693e"
    assert names["cache.cluster"] == "saaspe-production-redis"
    assert names["alarms.alb_unhealthy_targets"] == "saaspe-production-alb-unhealthy-targets"
    assert names["github.workflow"] == "backend-deploy.yml"
    assert all(isinstance(value, str) for value in names.values())
    assert not any(key.endswith(("token_env", "api_base")) for key in names)


def test_names_are_every_resource_the_tables_name_and_nothing_else() -> None:
    """Read from the model's marked fields: no token variable, URL, profile or setting."""
    assert list(load("production", ROOT).names()) == [
        "aws.region",
        "ecs.cluster",
        "ecs.service",
        "ecs.task_family",
        "ecs.log_group",
        "alb.name",
        "alb.dimension",
        "alb.target_group",
        "rds.instance",
        "cache.cluster",
        "alarms.alb_unhealthy_targets",
        "alarms.application_errors_high",
        "alarms.rds_cpu_high",
        "alarms.alb_high_response_time",
        "cloudwatch.dashboard",
        "sentry.org",
        "github.repo",
        "github.workflow",
    ]


def test_names_leave_out_what_a_target_does_not_name(tmp_path: Path) -> None:
    names = load("x", write(tmp_path, VALID)).names()
    assert names == {
        "aws.region": "eu-west-1",
        "ecs.cluster": "c",
        "ecs.service": "s",
        "ecs.task_family": "f",
        "ecs.log_group": "/ecs/x",
        "alb.name": "a",
        "alb.target_group": "tg",
        "rds.instance": "db",
        "alarms.alb_unhealthy_targets": "a1",
        "alarms.application_errors_high": "a2",
        "alarms.rds_cpu_high": "a3",
        "alarms.alb_high_response_time": "a4",
        "cloudwatch.dashboard": "d",
    }


def test_optional_sections_default(tmp_path: Path) -> None:
    target = load("x", write(tmp_path, VALID))
    assert target.cache is None and target.sentry is None and target.simulator is None
    assert target.alb.dimension is None and target.aws.profile is None
    assert target.thresholds.stopped_task_window_minutes == 60
    assert target.token("sentry") is None
    assert "cache.cluster" not in target.names()


def test_target_is_immutable() -> None:
    target = load("production", ROOT)
    with pytest.raises(pydantic.ValidationError):
        target.ecs.service = "other"  # type: ignore[misc]


def test_token_reads_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    target = load("production", ROOT)
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", "sntrys_secret")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert target.token("sentry") == "sntrys_secret"
    assert target.token("github") is None
    monkeypatch.setenv("GITHUB_TOKEN", "")
    assert target.token("github") is None


def test_unknown_environment_lists_the_known_ones(tmp_path: Path) -> None:
    write(tmp_path, VALID, "production")
    write(tmp_path, VALID, "simulated")
    with pytest.raises(TargetError) as caught:
        load("staging", tmp_path)
    assert str(caught.value) == (
        "no environment 'staging': expected one of production, simulated"
        f" (files in {tmp_path / 'environments'}/)"
    )


def test_invalid_toml_names_file_and_position(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'name = "x"\n[ecs\n')
    assert message.startswith("environments/x.toml: not valid TOML:")
    assert "line 2, column" in message


def test_unknown_key_lists_the_allowed_keys(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace('service = "s"', 'service = "s"\nservce = "s"'))
    assert message == (
        "environments/x.toml: unknown key 'ecs.servce'"
        " (expected one of: cluster, log_group, required_env, service, task_family)"
    )


def test_the_path_key_is_not_part_of_the_file(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'path = "/etc"\n' + VALID)
    assert message.startswith("environments/x.toml: unknown key 'path' (expected one of: alarms")
    assert ", path" not in message


def test_wrong_type(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, VALID.replace("min_running_tasks = 1", 'min_running_tasks = "two"')
    )
    assert message == (
        "environments/x.toml: 'thresholds.min_running_tasks' must be an integer, got 'two'"
    )


def test_a_string_where_a_table_belongs(tmp_path: Path) -> None:
    text = VALID.replace('[rds]\ninstance = "db"\n', "").replace(
        'name = "x"', 'name = "x"\nrds = "db"'
    )
    assert error_of(tmp_path, text) == "environments/x.toml: 'rds' must be a table, got 'db'"


def test_missing_key_says_what_it_is(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace('service = "s"\n', ""))
    assert message == "environments/x.toml: missing 'ecs.service' (the ECS service name)"


def test_missing_name(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace('name = "x"\n', ""))
    assert message.startswith("environments/x.toml: missing 'name' (")


def test_name_must_match_the_file(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace('name = "x"', 'name = "staging"'))
    assert message == (
        "environments/x.toml: 'name' must be 'x' to match the file name, got 'staging'"
    )


def test_empty_required_name(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID.replace('instance = "db"', 'instance = "  "'))
    assert message == "environments/x.toml: 'rds.instance' must not be empty"


@pytest.mark.parametrize("key", ["token", "auth_token", "password", "secret"])
def test_credentials_are_refused_without_echoing_them(tmp_path: Path, key: str) -> None:
    text = VALID + f'\n[sentry]\norg = "o"\n{key} = "sntrys_secret"\n'
    message = error_of(tmp_path, text)
    assert message.startswith(f"environments/x.toml: 'sentry.{key}' is not allowed")
    assert "named by environment variable" in message
    assert "sentry.token_env" in message
    assert "sntrys_secret" not in message


def test_a_token_pasted_as_the_variable_name_is_not_echoed(tmp_path: Path) -> None:
    text = VALID + '\n[github]\nrepo = "o/r"\nworkflow = "w.yml"\ntoken_env = "ghp_secret"\n'
    message = error_of(tmp_path, text)
    assert "'github.token_env' must be the NAME of an environment variable" in message
    assert "ghp_secret" not in message


def test_an_aws_key_id_is_not_a_variable_name(tmp_path: Path) -> None:
    """AKIA... is upper case and digits, the shape of a variable name, and still a secret."""
    text = VALID + '\n[sentry]\norg = "o"\ntoken_env = "AKIAIOSFODNN7EXAMPLE"\n'
    message = error_of(tmp_path, text)
    assert "'sentry.token_env' must be the NAME of an environment variable" in message
    assert "AKIA" not in message


@pytest.mark.parametrize(
    "pasted",
    ["ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ", "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffee1234"],
)
def test_a_token_pasted_into_a_url_field_is_not_echoed(tmp_path: Path, pasted: str) -> None:
    text = VALID + f'\n[app]\nhealth_url = "{pasted}"\n'
    message = error_of(tmp_path, text)
    assert "'app.health_url' must be an http:// or https:// URL" in message
    assert "looks like a token (not shown)" in message
    assert pasted not in message


def test_a_url_typo_is_still_shown(tmp_path: Path) -> None:
    message = error_of(tmp_path, VALID + '\n[app]\nhealth_url = "api.example.com/health"\n')
    assert "got 'api.example.com/health'" in message


def test_tokens_named_by_the_file_are_masked_once_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opscheck.redact import redact

    opaque = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # no published shape: masked only by value
    monkeypatch.setenv("OPSCHECK_TEST_SENTRY", opaque)
    text = VALID + '\n[sentry]\norg = "o"\ntoken_env = "OPSCHECK_TEST_SENTRY"\n'
    load("x", write(tmp_path, text))
    assert redact(f"GET /api/0/organizations/o/?t={opaque}") == (
        "GET /api/0/organizations/o/?t=[REDACTED]"
    )


def test_a_role_arn_must_be_an_iam_role_arn(tmp_path: Path) -> None:
    role = 'region = "eu-west-1"\nrole_arn = "opscheck-readonly"'
    message = error_of(tmp_path, VALID.replace('region = "eu-west-1"', role))
    assert message == (
        "environments/x.toml: 'aws.role_arn' must be an IAM role ARN: "
        "arn:aws:iam::ACCOUNT_ID:role/NAME, got 'opscheck-readonly'"
    )


def test_all_errors_are_reported_one_per_line(tmp_path: Path) -> None:
    text = (
        VALID.replace('name = "x"', 'name = "y"')
        .replace('service = "s"\n', "")
        .replace("min_running_tasks = 1", "min_running_tasks = -1")
        .replace('region = "eu-west-1"', 'region = "eu-west-1"\nendpoint_url = "localhost:4566"')
    )
    lines = error_of(tmp_path, text).splitlines()
    assert lines == [
        "environments/x.toml: 'name' must be 'x' to match the file name, got 'y'",
        "environments/x.toml: 'aws.endpoint_url' must be an http:// or https:// URL,"
        " got 'localhost:4566'",
        "environments/x.toml: missing 'ecs.service' (the ECS service name)",
        "environments/x.toml: 'thresholds.min_running_tasks' must be at least 0, got -1",
    ]


def test_available_without_an_environments_folder(tmp_path: Path) -> None:
    assert available(tmp_path) == []


def test_target_can_be_built_in_code() -> None:
    target = load("production", ROOT)
    copy = Target.model_validate({**target.model_dump(), "path": target.path})
    assert copy == target


def test_a_dsn_pasted_as_the_variable_name_is_refused_unshown(tmp_path: Path) -> None:
    dsn = "postgresql://app:Hunter2-Secret@db.internal:5432/app"
    message = error_of(tmp_path, VALID + f'\n[postgres]\ndsn_env = "{dsn}"\n')
    assert "'postgres.dsn_env' must be the NAME of an environment variable" in message
    assert "Hunter2-Secret" not in message and "db.internal" not in message
    message = error_of(tmp_path, VALID + f'\n[redis]\nurl = "{dsn}"\n')
    assert "'redis.url' is not allowed" in message and "redis.url_env' instead" in message


def test_connection_passwords_are_masked_once_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opscheck.redact import redact

    monkeypatch.setenv("OPSCHECK_TEST_DSN", "host=db user=app password=plain%word-1234")
    monkeypatch.setenv("OPSCHECK_TEST_REDIS", "redis://:p%40ss-word-5678@cache:6379/0")
    text = VALID + '\n[postgres]\ndsn_env = "OPSCHECK_TEST_DSN"\n'
    text += '\n[redis]\nurl_env = "OPSCHECK_TEST_REDIS"\n'
    target = load("x", write(tmp_path, text))
    assert target.connection_url("redis") == "redis://:p%40ss-word-5678@cache:6379/0"
    said = redact("auth failed for plain%word-1234, then p@ss-word-5678 and p%40ss-word-5678")
    assert "word-1234" not in said and "word-5678" not in said
