"""A run from start to end: its reports belong to it alone, whatever stops it."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

from tests.helpers import MAPPED

PASSING = """
import pytest

@pytest.mark.runbook("runbook-maintenance", severity="P3")
@pytest.mark.config
def test_ok(runbook):
    assert runbook.version
"""
INTERRUPTED = PASSING.replace("assert runbook.version", "raise KeyboardInterrupt")


def write_check(project: pytest.Pytester, source: str, name: str = "test_check.py") -> None:
    (project.path / "checks" / name).write_text(source, encoding="utf-8")


def summary(project: pytest.Pytester) -> dict:
    return json.loads((project.path / "reports" / "summary.json").read_text(encoding="utf-8"))


def test_an_interrupted_run_replaces_the_last_verdict_with_incomplete(project):
    write_check(project, PASSING)
    assert project.runpytest().ret == pytest.ExitCode.OK
    assert summary(project)["verdict"] == "pass"

    write_check(project, INTERRUPTED)
    result = project.runpytest_subprocess()  # a KeyboardInterrupt would stop an inline run
    assert result.ret == pytest.ExitCode.INTERRUPTED
    written = summary(project)
    assert written["verdict"] == "incomplete"
    assert written["gate"]["decision"] == "block"
    heading = (project.path / "reports" / "summary.md").read_text(encoding="utf-8")
    assert heading.startswith("## opscheck: INCOMPLETE")


def test_a_run_in_process_gives_the_garbage_collector_back(project):
    """A run keeps what it loaded out of the collector's passes while it lasts; a process
    that runs pytest in-process has its whole collector again afterwards."""
    write_check(project, PASSING)
    assert project.runpytest().ret == pytest.ExitCode.OK
    assert gc.get_freeze_count() == 0


CTRL_C_AT = """
import os
import signal

import pytest


@pytest.hookimpl({order}=True)
def {hook}():
    os.kill(os.getpid(), signal.SIGINT)
"""


@pytest.mark.parametrize(
    ("hook", "order"),
    [("pytest_terminal_summary", "tryfirst"), ("pytest_unconfigure", "tryfirst")],
)
def test_ctrl_c_while_the_run_ends_finishes_the_reports_and_exits_interrupted(project, hook, order):
    """Ctrl-C as the reports are written: they are finished (under a second), then the run
    exits 2, as any interrupted run does, without a traceback."""
    write_check(project, PASSING)
    (project.path / "conftest.py").write_text(CTRL_C_AT.format(hook=hook, order=order))
    result = project.runpytest_subprocess()
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "interrupted while the run was ending" in output
    assert summary(project)["verdict"] == "pass", "the checks all ran: their reports are whole"


def test_nothing_selected_is_incomplete_not_the_last_pass(project):
    write_check(project, PASSING)
    project.runpytest()
    result = project.runpytest("-m", "p0")  # the one check is P3: nothing selected
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert summary(project)["verdict"] == "incomplete"
    counts = summary(project)["counts"]
    assert counts == {"passed": 0, "failed": 0, "inconclusive": 0, "not_configured": 0}


def test_the_previous_runs_reports_are_gone_before_the_checks_start(project):
    write_check(project, PASSING)
    project.runpytest()
    allure = project.path / "reports" / "allure-results"
    assert any(allure.iterdir())
    stale = allure / "stale-result.json"
    stale.write_text("{}")
    (project.path / "reports" / "incident.md").write_text("an old incident")
    project.runpytest()
    assert not stale.exists()
    assert not (project.path / "reports" / "incident.md").exists()


@pytest.mark.parametrize("where", ["a-file/reports", "/proc/opscheck-reports"])
def test_a_report_folder_that_cannot_be_made_is_said_and_the_checks_still_run(project, where):
    (project.path / "a-file").write_text("not a folder")
    write_check(project, PASSING)
    result = project.runpytest(f"--report-dir={where}")
    out = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in out and "Traceback" not in out
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1)
    assert "opscheck: WARNING cannot use the report folder" in out
    assert "choose another with --report-dir" in out


def test_a_mapping_error_reads_nothing(project, tmp_path):
    """pytest calls collection_finish even after modifyitems raised: no evidence pass then."""
    write_check(project, MAPPED)
    write_check(
        project, "import pytest\n@pytest.mark.health\ndef test_x():\n    pass\n", "test_unmapped.py"
    )
    saved = tmp_path / "evidence.json"
    result = project.runpytest("--env=production", f"--save-evidence={saved}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not saved.exists()
    assert "evidence from" not in result.stdout.str()
    assert "AWS account" not in result.stdout.str()


def saved_evidence(tmp_path) -> str:
    path = tmp_path / "evidence.json"
    identity = {"account": "210987654321", "arn": "arn:aws:sts::210987654321:x", "region": "r"}
    service = {
        "name": "saaspe-production-service",
        "cluster": "saaspe-production-cluster",
        "status": "ACTIVE",
        "desired": 2,
        "running": 2,
        "pending": 0,
    }
    document = {
        "schema": 1,
        "target": "production",
        "collected_at": "2026-11-26T10:00:00+00:00",
        "sources": {"identity": {"value": identity}, "ecs_service": {"value": service}},
    }
    path.write_text(json.dumps(document))
    return f"--evidence={path}"


def test_under_xdist_the_header_says_what_a_single_process_says(project, tmp_path):
    write_check(project, MAPPED)
    write_check(project, PASSING, "test_upkeep.py")
    for args in ((), ("-n", "2")):
        result = project.runpytest_subprocess("--env=production", saved_evidence(tmp_path), *args)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        result.stdout.fnmatch_lines(
            [
                "opscheck: 2 checks selected: 1. All ECS Tasks Down (1), Runbook Maintenance (1)",
                "opscheck: AWS account 210987654321 as arn:aws:sts::210987654321:x, region r",
                "opscheck: evidence replayed from *",
            ]
        )


def test_a_scenario_lowered_in_the_runbook_visibly_leaves_p0(project, tmp_path):
    """The runbook decides the markers; the header shows what a marker then selects."""
    write_check(project, MAPPED)
    book = project.path / "runbook" / "incident-response.md"
    text = book.read_text(encoding="utf-8")
    book.write_text(
        text.replace("### 1. All ECS Tasks Down (P0)", "### 1. All ECS Tasks Down (P1)")
    )
    result = project.runpytest("--env=production", saved_evidence(tmp_path), "-m", "p1")
    result.stdout.fnmatch_lines(["opscheck: 1 check selected: 1. All ECS Tasks Down (1)"])
    lowered = project.runpytest("--env=production", saved_evidence(tmp_path), "-m", "p0")
    assert lowered.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    lowered.stdout.fnmatch_lines(["opscheck: 0 checks selected: none"])


SENTRY_CHECK = """
import pytest

@pytest.mark.runbook("high-error-rate", cause="bad-deployment")
@pytest.mark.health
def test_sentry(sentry_issues):
    assert sentry_issues.error_events < 100
"""


def replay_with(tmp_path, **sources) -> str:
    path = tmp_path / "evidence.json"
    identity = {"account": "210987654321", "arn": "arn:aws:sts::210987654321:x", "region": "r"}
    document = {
        "schema": 1,
        "target": "production",
        "collected_at": "2026-11-26T10:00:00+00:00",
        "sources": {"identity": {"value": identity}, **sources},
    }
    path.write_text(json.dumps(document))
    return f"--evidence={path}"


def test_what_the_environment_leaves_out_is_skipped_and_said_never_blocking(project, tmp_path):
    write_check(project, SENTRY_CHECK)
    write_check(project, PASSING, "test_upkeep.py")
    left_out = {
        "unavailable": "no [sentry] table in production.toml: add one with the organization "
        "slug (org) and token_env to read Sentry",
        "permission": None,
        "not_configured": True,
    }
    replay = replay_with(tmp_path, sentry_issues=left_out)
    result = project.runpytest("--env=production", replay, "--fail-on=p1")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*not configured: sentry_issues*",
            "Not configured (1 checks skipped: this environment leaves them out):",
            "    - not configured: no [[]sentry] table in production.toml: add one*",
            "opscheck: 0 failed, 0 inconclusive, 1 passed, 1 not configured against production*",
        ]
    )
    written = summary(project)
    assert written["verdict"] == "pass" and written["gate"]["decision"] == "pass"
    assert written["counts"]["not_configured"] == 1
    (check,) = [c for c in written["checks"] if c["check"] == "test_sentry"]
    assert check["outcome"] == "not_configured"
    assert "- not configured: no [sentry] table" in (
        project.path / "reports" / "summary.md"
    ).read_text(encoding="utf-8")


def test_configured_but_unreadable_still_blocks(project, tmp_path):
    write_check(project, SENTRY_CHECK)
    refused = {"unavailable": "no Sentry token: set SENTRY_AUTH_TOKEN", "permission": None}
    result = project.runpytest("--env=production", replay_with(tmp_path, sentry_issues=refused))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert summary(project)["checks"][0]["outcome"] == "inconclusive"


def test_saved_evidence_is_judged_as_the_environment_it_was_read_from(project, tmp_path):
    """A failure saved from production must not replay as a pass against another target."""
    write_check(project, MAPPED)
    replay = saved_evidence(tmp_path)  # read from production
    result = project.runpytest(replay)  # no --env: not the ini's simulated default
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["opscheck: target production (REPLAY of *"])
    assert summary(project)["target"]["name"] == "production"
    wrong = project.runpytest(replay, "--env=simulated")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(
        ["*was read from the environment 'production', not 'simulated'*pass --env=production"]
    )


def test_a_replay_judges_by_the_thresholds_in_force_when_it_was_read(project, tmp_path):
    write_check(
        project,
        MAPPED.replace(
            "def test_service(ecs_service):", "def test_service(ecs_service, thresholds):"
        ).replace(
            'assert ecs_service.status == "ACTIVE"', "assert thresholds.min_running_tasks == 5"
        ),
    )
    replay = tmp_path / "evidence.json"
    saved = json.loads(Path(saved_evidence(tmp_path).removeprefix("--evidence=")).read_text())
    replay.write_text(json.dumps({**saved, "thresholds": {"min_running_tasks": 5}}))
    assert project.runpytest(f"--evidence={replay}").ret == pytest.ExitCode.OK


def test_ctrl_c_stops_a_hanging_evidence_pass_at_once(project, local_server, tmp_path):
    """AWS not answering: Ctrl-C ends the run within a second or two, exit 2, no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import Reply

    write_check(project, MAPPED)
    hanging = local_server(lambda request: Reply(body={}, delay_s=60))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": hanging.url,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    env.pop("AWS_PROFILE", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env=production"],
        cwd=project.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not hanging.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hanging.requests, "the evidence pass never reached AWS"
    interrupted = time.monotonic()
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=20)
    assert time.monotonic() - interrupted < 10, out  # not the 30 s of retries going out
    assert run.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "Traceback" not in out
