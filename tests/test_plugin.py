"""The plugin's contract with its users: mapping errors, options, markers, outcomes."""

from __future__ import annotations

import json

import pytest

from tests.helpers import MAPPED, Reply


def write_check(project: pytest.Pytester, source: str) -> None:
    (project.path / "checks" / "test_check.py").write_text(source, encoding="utf-8")


def test_unmapped_check_is_an_error_naming_it(project):
    write_check(project, "import pytest\n@pytest.mark.health\ndef test_x():\n    pass\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_check.py::test_x: not mapped to the runbook*all-ecs-tasks-down*"]
    )


def test_unknown_scenario_is_named_with_the_known_ones(project):
    write_check(project, MAPPED.replace('"all-ecs-tasks-down"', '"all-tasks-gone"'))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*scenario 'all-tasks-gone' is not in*expected one of*high-error-rate*"]
    )


def test_unknown_cause_is_named_with_the_scenarios_causes(project):
    write_check(
        project, MAPPED.replace('"all-ecs-tasks-down"', '"all-ecs-tasks-down", cause="gremlins"')
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*cause 'gremlins'*expected one of: failed-deployment, resource-exhaustion*"]
    )


def test_a_check_needs_exactly_one_kind(project):
    write_check(project, MAPPED.replace("@pytest.mark.health\n", ""))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*expected exactly one kind marker among health, config, readiness*"]
    )


def test_renamed_runbook_section_breaks_the_checks_that_map_to_it(project):
    runbook = project.path / "runbook" / "incident-response.md"
    text = runbook.read_text(encoding="utf-8")
    runbook.write_text(
        text.replace("### 1. All ECS Tasks Down (P0)", "### 1. All Containers Down (P0)")
    )
    write_check(project, MAPPED)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*'all-ecs-tasks-down' is not in runbook/incident-response.md*all-containers-down*"]
    )


def test_malformed_runbook_names_the_line_and_no_traceback(project):
    runbook = project.path / "runbook" / "incident-response.md"
    lines = runbook.read_text(encoding="utf-8").splitlines()
    number = lines.index("### 2. High Error Rate (P1)")
    lines[number] = "### 2. High Error Rate"
    runbook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_check(project, MAPPED)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*incident-response.md:{number + 1}: *(P1)*"])
    assert "Traceback" not in result.stderr.str()


def test_unknown_environment_lists_the_known(project):
    write_check(project, MAPPED)
    result = project.runpytest("--env", "staging")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no environment 'staging'*production, simulated*"])


def test_faults_need_the_simulated_target(project):
    write_check(project, MAPPED)
    result = project.runpytest("--env", "production", "--simulate", "health-503")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'production' is not simulated; use --env simulated*"])


def test_unknown_fault_lists_the_catalog(project):
    write_check(project, MAPPED)
    result = project.runpytest("--simulate", "meteor-strike")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown fault 'meteor-strike': expected one of *bad-deployment*health-503*"]
    )


def test_simulate_list_prints_each_fault_with_what_it_stages(project):
    result = project.runpytest("--simulate", "list")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "bad-deployment*all-ecs-tasks-down / cause failed-deployment",
            "*every task stopped*",
            "health-503*all-ecs-tasks-down (symptom only)",
        ]
    )


def test_markers_come_from_the_runbook(project):
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.health: is it working now",
            "@pytest.mark.p0: P0 Critical, respond Immediate (< 5 minutes)",
            "@pytest.mark.p2: P2 Medium, respond < 2 hours",
            "@pytest.mark.all-ecs-tasks-down: runbook scenario 1. All ECS Tasks Down",
            "@pytest.mark.deployment-failed: runbook scenario 5. Deployment Failed",
        ],
        consecutive=False,
    )


def test_severity_and_scenario_markers_select_checks(project):
    write_check(project, MAPPED)
    assert project.runpytest("--collect-only", "-q", "-m", "p0").ret == pytest.ExitCode.OK
    assert project.runpytest("--collect-only", "-q", "-m", "all-ecs-tasks-down and health").ret == 0
    assert (
        project.runpytest("--collect-only", "-q", "-m", "p1").ret
        == pytest.ExitCode.NO_TESTS_COLLECTED
    )


@pytest.fixture
def counting_server(local_server):
    server = local_server(lambda request: Reply(500))
    return server.url, server.requests


def test_a_check_that_tries_to_mutate_aws_is_refused_before_sending(project, counting_server):
    url, hits = counting_server
    write_check(
        project,
        f"""
import pytest
from opscheck.aws import ReadOnlySession
from opscheck.evidence import read_actions

@pytest.mark.runbook("all-ecs-tasks-down", cause="failed-deployment")
@pytest.mark.readiness
def test_rollback_myself():
    session = ReadOnlySession("us-east-2", read_actions(), endpoint_url="{url}",
        credentials={{"aws_access_key_id": "x", "aws_secret_access_key": "x"}})
    session.client("ecs").update_service(cluster="c", service="s", taskDefinition="f:2")
""",
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*ReadOnlyViolation: refused ecs:UpdateService: opscheck is read-only*nothing was sent*"]
    )
    assert hits == []


def saved_evidence(tmp_path, **sources):
    path = tmp_path / "evidence.json"
    identity = {
        "value": {
            "account": "210987654321",
            "arn": "arn:aws:sts::210987654321:assumed-role/x",
            "region": "us-east-2",
        }
    }
    path.write_text(
        json.dumps(
            {
                "schema": 1,
                "target": "production",
                "collected_at": "2026-11-26T10:00:00+00:00",
                "sources": {"identity": identity, **sources},
            }
        )
    )
    return path


def test_unavailable_evidence_is_inconclusive_and_fails_the_run(project, tmp_path):
    write_check(project, MAPPED)
    denied = (
        "ecs:DescribeServices was denied (AccessDenied): "
        "grant ecs:DescribeServices to the role opscheck runs as"
    )
    path = saved_evidence(
        tmp_path, ecs_service={"unavailable": denied, "permission": "ecs:DescribeServices"}
    )
    result = project.runpytest("--env", "production", f"--evidence={path}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*REPLAY of*no network*",
            "*AWS account 210987654321*",
            "*UNAVAILABLE: ecs_service*",
            "checks/test_check.py I*",
            "Could not verify (1 inconclusive*",
            "*? [[]P0 all-ecs-tasks-down] test_service: ecs:DescribeServices was denied*grant*",
            "*1 inconclusive*",
        ]
    )


def test_evidence_missing_from_a_saved_file_is_inconclusive(project, tmp_path):
    write_check(project, MAPPED)
    result = project.runpytest("--env", "production", f"--evidence={saved_evidence(tmp_path)}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*ecs_service was not gathered in the saved evidence*"])


def test_a_missing_evidence_file_is_named(project, tmp_path):
    write_check(project, MAPPED)
    result = project.runpytest(f"--evidence={tmp_path / 'nope.json'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nope.json: no such evidence file*"])


def test_checks_sharing_a_source_share_its_calls(project, tmp_path):
    checks = "\n".join(
        MAPPED.replace("def test_service", f"def test_service_{i}") for i in range(5)
    )
    write_check(project, checks)
    saved = tmp_path / "evidence.json"
    result = project.runpytest(f"--save-evidence={saved}")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=5)
    calls = json.loads(saved.read_text())["api_calls"]
    assert calls == {"ecs:DescribeServices": 1, "sts:GetCallerIdentity": 1}


GRADED = """
import pytest
from opscheck import fail

@pytest.mark.runbook("high-error-rate", severity=("P1", "P2"))
@pytest.mark.health
def test_error_rate(ecs_service):
    fail("5xx rate 7.0% (P2 above 5%)", severity="{severity}")
"""


def test_a_graded_check_carries_every_severity_marker(project):
    write_check(project, GRADED.format(severity="P2"))
    for marker in ("p1", "p2", "high-error-rate"):
        assert project.runpytest("--collect-only", "-q", "-m", marker).ret == pytest.ExitCode.OK
    assert project.runpytest("--collect-only", "-q", "-m", "p0").ret == 5


def test_a_graded_failure_is_reported_at_its_severity(project):
    write_check(project, GRADED.format(severity="P2"))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["P2 2. High Error Rate | respond: < 2 hours", "*5xx rate 7.0%*"])


def test_an_undeclared_severity_is_a_broken_check(project):
    write_check(project, GRADED.format(severity="P0"))
    result = project.runpytest()
    result.stdout.fnmatch_lines(
        ["*reported severity P0, which its runbook marker does not declare*"]
    )


def test_a_section_check_needs_a_severity(project):
    write_check(project, MAPPED.replace('"all-ecs-tasks-down"', '"rollback-procedures"'))
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*section 'rollback-procedures' needs severity= and no cause*"])


def test_fail_on_lets_less_severe_findings_pass_as_warnings(project):
    write_check(project, GRADED.format(severity="P2"))
    assert project.runpytest().ret == pytest.ExitCode.TESTS_FAILED
    gated = project.runpytest("--fail-on", "p1")
    assert gated.ret == pytest.ExitCode.OK
    gated.stdout.fnmatch_lines(["*--fail-on p1: 1 less severe findings reported as warnings*"])
    assert project.runpytest("--fail-on", "p2").ret == pytest.ExitCode.TESTS_FAILED


def test_fail_on_never_waves_an_inconclusive_check_through(project, tmp_path):
    write_check(project, MAPPED)
    path = saved_evidence(tmp_path, ecs_service={"unavailable": "denied", "permission": None})
    result = project.runpytest("--env", "production", f"--evidence={path}", "--fail-on", "p0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert gate_of(project) == {"fail_on": "P0", "decision": "block"}


def gate_of(project: pytest.Pytester) -> dict[str, str]:
    summary = json.loads((project.path / "reports" / "summary.json").read_text(encoding="utf-8"))
    return summary["gate"]


def test_summary_carries_the_gate_decision(project):
    write_check(project, GRADED.format(severity="P2"))
    project.runpytest("--fail-on", "p1")
    assert gate_of(project) == {"fail_on": "P1", "decision": "warn"}
    project.runpytest("--fail-on", "p2")
    assert gate_of(project) == {"fail_on": "P2", "decision": "block"}


def test_a_path_after_a_space_is_explained_not_mistaken(tmp_path):
    """pytest finds its rootdir before plugins add options: `--env PATH` misleads it."""
    from tests.helpers import ROOT, run_checks

    folder = tmp_path / "environments"
    folder.mkdir()
    path = folder / "production.toml"
    path.write_text((ROOT / "environments/production.toml").read_text(encoding="utf-8"))
    result = run_checks(tmp_path, "--env", str(path), "-m", "p0")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert f"write --env={path}, with '='" in result.output


def test_installed_it_stays_out_of_other_projects(pytester):
    """The entry point loads the plugin into every pytest run; a project without a runbook
    is not opscheck's, unless an opscheck option says it is."""
    pytester.makepyfile(test_other="def test_other():\n    assert True\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.OK
    assert "opscheck:" not in result.stdout.str()
    asked = pytester.runpytest("--env", "production")
    assert asked.ret == pytest.ExitCode.USAGE_ERROR
    asked.stderr.fnmatch_lines(["*no pyproject.toml found from *: run from the project folder"])
