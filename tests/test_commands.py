"""The runbook's commands, filled in with the target's names."""

from __future__ import annotations

from opscheck.commands import fill
from tests.helpers import PRODUCTION

ROLLBACK = (
    "aws ecs update-service \\\n  --cluster saaspe-production-cluster \\\n"
    "  --service saaspe-production-service \\\n  --region us-east-2"
)


def staging():
    ecs = PRODUCTION.ecs.model_copy(
        update={"cluster": "saaspe-staging-cluster", "service": "saaspe-staging-service"}
    )
    aws = PRODUCTION.aws.model_copy(update={"region": "eu-west-1"})
    return PRODUCTION.model_copy(update={"name": "staging", "ecs": ecs, "aws": aws})


def test_production_commands_are_the_runbook_s_own():
    assert fill(ROLLBACK, PRODUCTION, PRODUCTION.names()) == ROLLBACK


def test_another_environment_gets_its_own_names_and_region():
    filled = fill(ROLLBACK, staging(), PRODUCTION.names())
    assert "--cluster saaspe-staging-cluster" in filled
    assert "--service saaspe-staging-service" in filled
    assert "--region eu-west-1" in filled
    assert "production" not in filled


def test_an_aws_compatible_endpoint_is_passed_to_the_cli():
    local = PRODUCTION.model_copy(
        update={"aws": PRODUCTION.aws.model_copy(update={"endpoint_url": "http://127.0.0.1:4566"})}
    )
    assert fill(ROLLBACK, local, PRODUCTION.names()).startswith(
        "aws --endpoint-url http://127.0.0.1:4566 ecs update-service"
    )
    assert fill("gh run list --limit 5", local, PRODUCTION.names()) == "gh run list --limit 5"


def test_the_rollback_revision_the_evidence_found_replaces_the_runbook_s():
    command = "aws ecs update-service \\\n  --task-definition saaspe-production-backend:2 \\\n"
    facts = {"rollback_to": "saaspe-production-backend:41"}
    filled = fill(command, PRODUCTION, PRODUCTION.names(), facts)
    assert "--task-definition saaspe-production-backend:41 \\" in filled
    assert fill(command, PRODUCTION, PRODUCTION.names()) == command


def test_the_deploy_run_to_rerun_replaces_the_runbook_s_placeholder():
    facts = {"rerun_run_id": "9876543210"}
    assert fill("gh run rerun <run-id>", PRODUCTION, PRODUCTION.names(), facts) == (
        "gh run rerun 9876543210"
    )


def test_a_check_quotes_the_runbook_s_command_for_its_environment_on_one_line():
    from opscheck.commands import Commands
    from opscheck.runbook import load as load_runbook
    from tests.helpers import ROOT

    runbook = load_runbook(ROOT / "runbook/incident-response.md")
    commands = Commands(runbook, staging(), PRODUCTION.names())
    listing = commands.runbook_command("slow-performance", "describe-db-log-files")
    assert listing == (
        "aws rds describe-db-log-files --db-instance-identifier saaspe-production-postgres "
        "--region eu-west-1"
    )
    restart = commands.runbook_command("database-unavailable", "--force-new-deployment")
    assert "--cluster saaspe-staging-cluster" in restart and "\\" not in restart
    gone = commands.runbook_command("slow-performance", "pg_stat_statements")
    assert "4. Slow Performance has no command with 'pg_stat_statements'" in gone
    download = commands.rds_log("saaspe-production-postgres", "error/postgresql.log.2026-12-02-03")
    assert download.startswith(f"the log: {listing}, then aws rds download-db-log-file-portion")
    assert download.endswith("--starting-token 0 --output text --region eu-west-1")
