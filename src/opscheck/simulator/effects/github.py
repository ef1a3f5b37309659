"""GitHub Actions: the deploy workflow's runs and their jobs (evidence: `github`).

The healthy world's deploy workflow has a few weeks of runs, the newest successful. The
GitHub REST answers (runs of the workflow, jobs of a run) are served by the simulator's
HTTP side under `world.paths["github"]`. A fault fails the newest run at a step, stops
the runs, or makes the API refuse the token.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import Response, World

FIRST_RUN_ID = 11873204410
JOBS = {
    "test": ("Set up job", "Checkout", "Setup Node.js", "Install dependencies", "Run tests"),
    "deploy": (
        "Set up job",
        "Checkout",
        "Configure AWS credentials",
        "Login to Amazon ECR",
        "Build and push Docker image",
        "Render task definition",
        "Deploy to Amazon ECS",
    ),
}
# (days ago, conclusion) of the seeded runs, newest first: a healthy few weeks of deploys.
HISTORY = (
    (2.0, "success"),
    (5.0, "success"),
    (5.1, "cancelled"),
    (9.0, "success"),
    (9.2, "failure"),
    (16.0, "success"),
)


class DeployRunsChange(Change):
    """The deploy workflow's runs on GitHub."""

    status: int | None = None
    """Every GitHub API answer gets this HTTP status (401, 403, 404)."""
    failed_job: str | None = None
    """The newest run failed in this job ("test" or "deploy")."""
    failed_step: str | None = None
    """The step of that job that failed."""
    days_since_last_run: float | None = None
    """No run since: the newest run is this many days old."""
    title: str | None = None
    """The newest run's title (`display_title`: the head commit's message)."""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(
    world: World, index: int, created: datetime, conclusion: str, title: str | None = None
) -> dict[str, Any]:
    github = world.target.github
    assert github is not None
    run_id = FIRST_RUN_ID - index * 7919
    return {
        "id": run_id,
        "name": "Backend Deploy",
        "display_title": title or f"Release {412 - index}",
        "path": f".github/workflows/{github.workflow}",
        "run_number": 412 - index,
        "run_attempt": 1,
        "event": "push",
        "status": "completed",
        "conclusion": conclusion,
        "head_branch": "main",
        "head_sha": f"{run_id:x}".ljust(40, "0"),
        "html_url": f"https://github.com/{github.repo}/actions/runs/{run_id}",
        "created_at": _iso(created),
        "run_started_at": _iso(created),
        "updated_at": _iso(created + timedelta(minutes=9)),
    }


def _jobs(run: dict[str, Any], failed_job: str | None, failed_step: str | None) -> dict[str, Any]:
    started = datetime.strptime(run["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    jobs = []
    upstream_failed = False
    for index, (name, steps) in enumerate(JOBS.items()):
        job_failed = name == failed_job
        listed = []
        reached_failure = False
        for number, step in enumerate(steps, start=1):
            if upstream_failed:
                break
            if reached_failure:
                conclusion = "skipped"
            elif job_failed and step == failed_step:
                conclusion, reached_failure = "failure", True
            else:
                conclusion = "success"
            listed.append(
                {"name": step, "status": "completed", "conclusion": conclusion, "number": number}
            )
        conclusion = "skipped" if upstream_failed else "failure" if job_failed else "success"
        jobs.append(
            {
                "id": run["id"] * 10 + index,
                "run_id": run["id"],
                "name": name,
                "status": "completed",
                "conclusion": conclusion,
                "html_url": f"{run['html_url']}/job/{run['id'] * 10 + index}",
                "started_at": _iso(started + timedelta(minutes=4 * index)),
                "completed_at": _iso(started + timedelta(minutes=4 * index + 3)),
                "steps": listed,
            }
        )
        upstream_failed = upstream_failed or job_failed
    return {"total_count": len(jobs), "jobs": jobs}


def _publish(world: World, change: DeployRunsChange) -> None:
    github = world.target.github
    if github is None:
        return
    base = world.paths["github"] + f"/repos/{github.repo}/actions"
    now = datetime.now(UTC)
    shift = timedelta(days=max(0.0, (change.days_since_last_run or 0.0) - HISTORY[0][0]))
    history = list(HISTORY)
    if change.failed_job:
        history.insert(0, (0.1, "failure"))
    runs = [
        _run(
            world,
            index,
            now - timedelta(days=days) - shift,
            conclusion,
            change.title if index == 0 else None,
        )
        for index, (days, conclusion) in enumerate(history)
    ]
    for path in [p for p in world.responses if p.startswith(base)]:
        del world.responses[path]
    world.responses[f"{base}/workflows/{github.workflow}/runs"] = Response(
        200, json.dumps({"total_count": len(runs), "workflow_runs": runs})
    )
    for index, run in enumerate(runs):
        failed = index == 0 and change.failed_job is not None
        jobs = _jobs(run, change.failed_job if failed else None, change.failed_step)
        if run["conclusion"] == "failure" and not failed:
            jobs = _jobs(run, "test", "Run tests")
        world.responses[f"{base}/runs/{run['id']}/jobs"] = Response(200, json.dumps(jobs))
    if change.status is not None:
        message = {
            401: "Bad credentials",
            403: "Resource not accessible by personal access token",
            404: "Not Found",
        }.get(change.status, "Error")
        body = json.dumps(
            {
                "message": message,
                "documentation_url": "https://docs.github.com/rest/actions/workflow-runs",
                "status": str(change.status),
            }
        )
        for path in [p for p in world.responses if p.startswith(base)]:
            world.responses[path] = Response(change.status, body)


@seed("github")
def deploy_history(world: World) -> None:
    _publish(world, DeployRunsChange())


@effect("deploy_runs", DeployRunsChange)
def change_deploy_runs(world: World, change: DeployRunsChange, fault: Fault) -> None:
    _publish(world, change)
