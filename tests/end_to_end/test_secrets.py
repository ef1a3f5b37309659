"""No secret in any output: credentials planted where the simulated production serves text
(log lines, PostgreSQL's logged statements, the health body, a stopped task's reason, an
external API's answer, a Sentry issue's title, a deploy run's title, a task definition's plain
environment) reach none of the terminal, the reports, the annotations, the step summary, the
Allure results, the JUnit file or the saved evidence."""

from __future__ import annotations

import json
import os

from opscheck.simulator.catalog import load as load_catalog
from tests.helpers import ROOT, run_checks

FAULTS = (
    "error-log-flood",
    "health-503",
    "bad-env-var",
    "external-api-down",
    "sentry-error-spike",
    "deploy-tests-failed",
    "plain-text-secret",
    "rds-log-slow-statements",
)
# The fake credentials those faults plant (fixtures/faults/*.toml), whole and in fragments.
PLANTED = (
    "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ",
    "sntrys_eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ",
    "AbCdEf0123456789abcdef0123456789abcdef01234",
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Pa55word-prod",
    "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",
    "MIIEowIBAAKCAQEA7bq98Rk3pPlanted",
    "github_pat_11AAAAAAA0aBcDeFgHiJkL_MnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01234",
    "MnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01234",
    "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "sim-hunter2-do-not-print",
    "Rep0rt-sim-pw",
)


def test_the_planted_credentials_are_in_the_faults():
    """The test is worth something only if the faults it stages really serve them."""
    catalog = load_catalog(ROOT / "fixtures/faults")
    staged = json.dumps([catalog[name].effects for name in FAULTS])
    for secret in PLANTED:
        assert secret in staged, secret


def test_no_planted_credential_reaches_any_output(tmp_path):
    step_summary = tmp_path / "step-summary.md"
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(step_summary))
    result = run_checks(
        tmp_path,
        "--simulate",
        ",".join(FAULTS),
        f"--save-evidence={tmp_path / 'evidence.json'}",
        f"--junitxml={tmp_path / 'junit.xml'}",
        env=env,
    )
    assert result.returncode == 1, result.output
    # The faults did reach the checks: their findings are there, redacted.
    assert {
        "test_few_error_lines_in_logs",
        "test_health_endpoint_answers",
        "test_few_sentry_error_events",
        "test_last_deploy_run_succeeded",
        "test_secrets_come_from_a_secret_store",
    } <= result.named("failed")
    assert "[REDACTED]" in result.output
    written = {
        path: path.read_text(encoding="utf-8", errors="replace")
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    assert tmp_path / "evidence.json" in written and tmp_path / "junit.xml" in written
    assert any(p.parent.name == "allure-results" for p in written)
    outputs = {"the terminal": result.output} | {
        str(p.relative_to(tmp_path)): t for p, t in written.items()
    }
    leaks = [
        (where, secret) for where, text in outputs.items() for secret in PLANTED if secret in text
    ]
    assert leaks == []
