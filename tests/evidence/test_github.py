"""The deploy_runs source against a GitHub-shaped server on 127.0.0.1, and its models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import requests

from opscheck.aws import ReadOnlySession
from opscheck.evidence import Context, gather, read_actions
from opscheck.evidence.github import DeployRuns, FailedStep, Job, Step, deploy_runs
from opscheck.target import Target, load
from tests.helpers import (
    CREDENTIALS,
    NOW,
    REPO,
    ROOT,
    SIMULATED,
    WORKFLOW,
    LocalServer,
    Reply,
    Request,
    StartServer,
)

RUNS_PATH = f"/repos/{REPO}/actions/workflows/{WORKFLOW}/runs"


# -- the GitHub source, against a local server ----------------------------------------------


@pytest.fixture
def github(local_server: StartServer) -> Callable[..., LocalServer]:
    """A GitHub-shaped local server: routes by path under /api, with extra headers and a delay."""

    def start(
        routes: dict[str, tuple[int, Any]],
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> LocalServer:
        def answer(request: Request) -> Reply:
            route = request.path.removeprefix("/api")
            status, body = routes.get(route, (404, {"message": "Not Found"}))
            return Reply(status, body, headers=headers or {}, delay_s=delay_s)

        server = local_server(answer)
        return replace(server, url=f"{server.url}/api")

    return start


def github_context(target: Target, api_base: str | None = None) -> Context:
    if api_base is not None and target.github is not None:
        gh = target.github.model_copy(update={"api_base": api_base})
        target = target.model_copy(update={"github": gh})
    aws = ReadOnlySession("us-east-2", read_actions(), credentials=CREDENTIALS)
    return Context(target=target, aws=aws, http=requests.Session(), now=NOW)


def run_json(run_id: int, conclusion: str | None, hours_ago: float, status: str = "completed"):
    return {
        "id": run_id,
        "run_number": run_id % 1000,
        "status": status,
        "conclusion": conclusion,
        "event": "push",
        "head_branch": "main",
        "head_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "created_at": (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "display_title": "fix: rotate password=hunter2",
    }


def runs_body(*runs: dict[str, Any]) -> tuple[int, Any]:
    return 200, {"total_count": len(runs), "workflow_runs": list(runs)}


JOBS_OF_FAILED = {
    "total_count": 2,
    "jobs": [
        {"id": 1, "name": "test", "status": "completed", "conclusion": "success", "steps": []},
        {
            "id": 2,
            "name": "deploy",
            "status": "completed",
            "conclusion": "failure",
            "html_url": f"https://github.com/{REPO}/actions/runs/300/job/2",
            "steps": [
                {"name": "Checkout", "status": "completed", "conclusion": "success", "number": 1},
                {
                    "name": "Build and push Docker image",
                    "status": "completed",
                    "conclusion": "failure",
                    "number": 2,
                },
                {"name": "Deploy", "status": "completed", "conclusion": "skipped", "number": 3},
            ],
        },
    ],
}


def test_github_runs_are_read_newest_first_with_the_documented_headers(github) -> None:
    server = github(
        {RUNS_PATH: runs_body(run_json(100, "success", 30), run_json(200, "success", 2))}
    )
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert [r.id for r in found.runs] == [200, 100]
    assert found.latest_deploy.id == 200 and found.last_success.id == 200
    assert found.failed_jobs == () and found.checked_at == NOW
    first = server.requests[0]
    assert first.path == f"/api{RUNS_PATH}" and first.params == {"per_page": ["10"]}
    assert first.headers["Authorization"] == "Bearer simulated"
    assert first.headers["Accept"] == "application/vnd.github+json"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert len(server.requests) == 1, "no jobs are read when the last deploy succeeded"
    assert "hunter2" not in found.model_dump_json()
    assert found.runs[0].title.startswith("fix: rotate password="), "the title is kept, redacted"


def test_a_failed_deploy_reads_its_jobs_and_skips_cancelled_runs(github) -> None:
    server = github(
        {
            RUNS_PATH: runs_body(
                run_json(400, "cancelled", 1),
                run_json(500, None, 0.1, status="in_progress"),
                run_json(300, "failure", 3),
                run_json(100, "success", 30),
            ),
            f"{RUNS_PATH.split('/workflows')[0]}/runs/300/jobs": (200, JOBS_OF_FAILED),
        }
    )
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert found.latest_deploy.id == 300
    assert found.last_success.id == 100
    assert [j.name for j in found.failed_jobs] == ["deploy"]
    assert [s.name for s in found.failed_jobs[0].failed_steps] == ["Build and push Docker image"]


def test_no_success_among_recent_runs_asks_for_the_last_success(github) -> None:
    server = github({RUNS_PATH: runs_body(run_json(300, "failure", 3))})
    found = deploy_runs(github_context(SIMULATED, server.url))
    assert found.last_success is None, "a failure the server returns anyway is filtered out"
    assert server.requests[1].params == {"status": ["success"], "per_page": ["1"]}
    assert found.jobs_error is not None and "404" in found.jobs_error


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (401, {}, "rejected the token in GITHUB_TOKEN (401)"),
        (403, {}, "may not read Actions of Dnick20/SaasPE (403): grant a fine-grained token"),
        (403, {"x-ratelimit-remaining": "0"}, "rate limit is exhausted (403)"),
        (404, {}, "GitHub answers 404, not 403, for a private repository without access"),
        (500, {}, "answered 500"),
    ],
)
def test_github_refusals_are_unavailable_naming_token_and_permission(
    github, status: int, headers: dict[str, str], expected: str
) -> None:
    server = github({RUNS_PATH: (status, {"message": "no"})}, headers)
    value = gather(["deploy_runs"], github_context(SIMULATED, server.url)).get("deploy_runs")
    assert expected in value.reason
    if status in (403, 404) and not headers:
        assert "Actions: read" in value.reason


def test_a_missing_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    value = gather(["deploy_runs"], github_context(load("production", ROOT))).get("deploy_runs")
    assert "GITHUB_TOKEN is not set" in value.reason and "Actions: read" in value.reason


def test_a_target_without_github_is_unavailable() -> None:
    target = SIMULATED.model_copy(update={"github": None})
    value = gather(["deploy_runs"], github_context(target)).get("deploy_runs")
    assert "no [github] table in simulated.toml" in value.reason


def test_github_down_is_unavailable() -> None:
    with socket_closed() as url:
        value = gather(["deploy_runs"], github_context(SIMULATED, url)).get("deploy_runs")
    assert "could not connect" in value.reason


def test_github_slow_is_unavailable(github, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("opscheck.evidence.github.TIMEOUT_S", (1.0, 0.2))
    server = github({RUNS_PATH: runs_body(run_json(200, "success", 2))}, delay_s=2)
    value = gather(["deploy_runs"], github_context(SIMULATED, server.url)).get("deploy_runs")
    assert "no answer within 0.2 s" in value.reason


class socket_closed:
    """A URL on 127.0.0.1 where nothing listens."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{s.getsockname()[1]}"

    def __exit__(self, *args: object) -> None:
        pass


def test_failed_steps_name_their_job_and_step() -> None:
    failed = Job(
        id=1,
        name="deploy",
        status="completed",
        conclusion="failure",
        steps=(
            Step(number=1, name="Checkout", status="completed", conclusion="success"),
            Step(
                number=4,
                name="Build and push Docker image",
                status="completed",
                conclusion="failure",
            ),
            Step(number=5, name="Deploy", status="completed", conclusion="timed_out"),
        ),
    )
    runs = DeployRuns(repo="o/r", workflow="deploy.yml", checked_at=NOW, failed_jobs=(failed,))
    assert [step.describe() for step in runs.failed_steps] == [
        "job 'deploy' step 4 'Build and push Docker image' failure",
        "job 'deploy' step 5 'Deploy' timed_out",
    ]
    assert runs.failed_steps[0] == FailedStep(
        job="deploy", number=4, name="Build and push Docker image", conclusion="failure"
    )
