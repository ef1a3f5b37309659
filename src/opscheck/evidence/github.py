"""Evidence from GitHub Actions: the recent runs of the deploy workflow.

The runbook's deploy is a GitHub Actions workflow (`gh run list --workflow=backend-deploy.yml`).
Its recent runs say whether the last deploy failed, and at which step (`gh run view
--log-failed`), and which successful run Rollback "Option 2" would re-run. Read through
the GitHub REST API with the token the environment file names; nothing about the token,
the logs or the commit messages is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from opscheck.evidence.base import Context, Model, NotConfigured, SourceUnavailable, source
from opscheck.evidence.http import get_json
from opscheck.redact import redact

API_VERSION = "2022-11-28"
RECENT_RUNS = 10
TIMEOUT_S = (3.0, 10.0)
# Conclusions of runs that did not try to deploy: superseded by a newer run, or skipped.
NOT_A_DEPLOY = ("cancelled", "skipped")
PERMISSION = "a fine-grained token with 'Actions: read' on the repository (classic: 'repo' scope)"


class Step(Model):
    number: int
    name: str
    status: str
    conclusion: str | None = None


class Job(Model):
    id: int
    name: str
    status: str
    conclusion: str | None = None
    html_url: str = ""
    steps: tuple[Step, ...] = ()

    @property
    def failed_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.conclusion in ("failure", "timed_out"))


class FailedStep(Model):
    """A failed step of a failed job, as `gh run view --log-failed` shows where a run broke."""

    job: str
    number: int
    name: str
    conclusion: str | None = None

    def describe(self) -> str:
        return f"job '{self.job}' step {self.number} '{self.name}' {self.conclusion}"


class WorkflowRun(Model):
    id: int
    run_number: int
    status: str  # queued, in_progress, completed, ...
    conclusion: str | None = None  # success, failure, cancelled, timed_out, ...
    event: str = ""
    head_branch: str | None = None
    head_sha: str = ""
    title: str = ""  # display_title: the head commit's message, first line, redacted
    html_url: str = ""
    created_at: datetime

    def describe(self) -> str:
        title = f' "{self.title}"' if self.title else ""
        return f"run {self.id} (#{self.run_number}{title}, {self.head_sha[:7]}, {self.html_url})"


class DeployRuns(Model):
    repo: str
    workflow: str
    checked_at: datetime
    runs: tuple[WorkflowRun, ...] = ()  # newest first
    last_success: WorkflowRun | None = None
    failed_jobs: tuple[Job, ...] = ()  # of the latest deploy, when it failed
    jobs_error: str | None = None  # why failed_jobs could not be read

    @property
    def latest_deploy(self) -> WorkflowRun | None:
        """The newest completed run that tried to deploy (not cancelled, not skipped)."""
        return next(
            (r for r in self.runs if r.status == "completed" and r.conclusion not in NOT_A_DEPLOY),
            None,
        )

    @property
    def failed_steps(self) -> tuple[FailedStep, ...]:
        """The failed steps of the latest deploy's failed jobs, in job and step order."""
        return tuple(
            FailedStep(job=job.name, number=s.number, name=s.name, conclusion=s.conclusion)
            for job in self.failed_jobs
            for s in job.failed_steps
        )


def _get(ctx: Context, path: str, params: dict[str, Any]) -> Any:
    github = ctx.target.github
    assert github is not None
    token = ctx.target.token("github")
    if not token:
        raise SourceUnavailable(
            f"{github.token_env} is not set: export {PERMISSION} in {github.token_env} "
            "to read the deploy workflow's runs"
        )
    url = f"{github.api_base.rstrip('/')}{path}"
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": API_VERSION,
    }

    def refused(answer: requests.Response) -> str | None:
        if answer.status_code == 401:
            return (
                f"GitHub rejected the token in {github.token_env} (401): it is invalid or "
                f"expired; set {PERMISSION}"
            )
        if answer.status_code == 403 and answer.headers.get("x-ratelimit-remaining") == "0":
            return (
                f"GET {url}: GitHub's rate limit is exhausted (403) for the token in "
                f"{github.token_env}; try again after it resets"
            )
        if answer.status_code == 403:
            return (
                f"the token in {github.token_env} may not read Actions of {github.repo} (403): "
                f"grant {PERMISSION}"
            )
        if answer.status_code == 404:
            return (
                f"GET {url} answered 404: either {github.repo} or its workflow "
                f"{github.workflow} does not exist, or the token in {github.token_env} cannot "
                "see the repository (GitHub answers 404, not 403, for a private repository "
                f"without access): check [github] repo and workflow, and grant {PERMISSION}"
            )
        return None

    return get_json(ctx, url, params=params, headers=headers, timeout=TIMEOUT_S, refused=refused)


def _run(r: dict[str, Any]) -> WorkflowRun:
    return WorkflowRun(
        id=r["id"],
        run_number=r.get("run_number", 0),
        status=r["status"],
        conclusion=r.get("conclusion"),
        event=r.get("event", ""),
        head_branch=r.get("head_branch"),
        head_sha=r.get("head_sha", ""),
        title=redact((str(r.get("display_title") or "").splitlines() or [""])[0])[:80],
        html_url=r.get("html_url", ""),
        created_at=r["created_at"],
    )


def _job(j: dict[str, Any]) -> Job:
    return Job(
        id=j["id"],
        name=j["name"],
        status=j["status"],
        conclusion=j.get("conclusion"),
        html_url=j.get("html_url", ""),
        steps=tuple(
            Step(
                number=s["number"],
                name=s["name"],
                status=s["status"],
                conclusion=s.get("conclusion"),
            )
            for s in j.get("steps") or []
        ),
    )


@source("deploy_runs")
def deploy_runs(ctx: Context) -> DeployRuns:
    """The deploy workflow's recent runs, the failed steps of the latest, the last success."""
    github = ctx.target.github
    if github is None:
        raise NotConfigured(
            f"no [github] table in {ctx.target.path.name}: add repo and workflow "
            "to check the deploy workflow"
        )
    runs_path = f"/repos/{github.repo}/actions/workflows/{github.workflow}/runs"
    answer = _get(ctx, runs_path, {"per_page": RECENT_RUNS})
    runs = tuple(
        sorted(
            (_run(r) for r in answer.get("workflow_runs", [])),
            key=lambda r: r.created_at,
            reverse=True,
        )
    )
    found = DeployRuns(repo=github.repo, workflow=github.workflow, checked_at=ctx.now, runs=runs)
    success = next((r for r in runs if r.conclusion == "success"), None)
    if success is None:
        # As `gh run list --status success --limit 1`; filtered here too, whatever the server did.
        older = _get(ctx, runs_path, {"status": "success", "per_page": 1})
        success = next(
            (_run(r) for r in older.get("workflow_runs", []) if r.get("conclusion") == "success"),
            None,
        )
    latest = found.latest_deploy
    jobs: tuple[Job, ...] = ()
    jobs_error = None
    if latest is not None and latest.conclusion != "success":
        try:
            listed = _get(
                ctx, f"/repos/{github.repo}/actions/runs/{latest.id}/jobs", {"per_page": 100}
            )
            jobs = tuple(
                _job(j) for j in listed.get("jobs", []) if j.get("conclusion") != "success"
            )
        except SourceUnavailable as error:
            jobs_error = str(error)
    return found.model_copy(
        update={"last_success": success, "failed_jobs": jobs, "jobs_error": jobs_error}
    )
