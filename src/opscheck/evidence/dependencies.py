"""Evidence over HTTP: one GET of each external API the service depends on.

The runbook checks its external API with `curl -I https://external-api.com/health`; this
does the same for every `[app] dependencies` URL, timing each answer. The timeout is the
environment's `health_timeout_s`, so a dependency slower than `dependency_slow_s` but
within it is measured, not cut off. A dependency that does not answer is recorded with
its error: that is a finding, not a failure to look.
"""

from __future__ import annotations

import time

import requests

from opscheck.evidence.base import Context, Model, NotConfigured, source


class DependencyAnswer(Model):
    name: str
    url: str
    timeout_s: float
    status: int | None = None  # None: no answer (see error)
    elapsed_s: float | None = None  # time to the answer, or to the error
    timed_out: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Dependencies(Model):
    configured_in: str  # the environment file, to name where to add them
    answers: tuple[DependencyAnswer, ...] = ()


def _ask(ctx: Context, name: str, url: str, timeout: float) -> DependencyAnswer:
    started = time.perf_counter()

    def elapsed() -> float:
        return round(time.perf_counter() - started, 3)

    try:
        answer = ctx.http.get(url, timeout=(min(timeout, 3.0), timeout), allow_redirects=False)
    except requests.Timeout as error:
        return DependencyAnswer(
            name=name,
            url=url,
            timeout_s=timeout,
            elapsed_s=elapsed(),
            timed_out=True,
            error=f"no answer within {timeout:g} s ({type(error).__name__})",
        )
    except requests.RequestException as error:
        return DependencyAnswer(
            name=name, url=url, timeout_s=timeout, elapsed_s=elapsed(), error=f"{error}"[:200]
        )
    return DependencyAnswer(
        name=name, url=url, timeout_s=timeout, status=answer.status_code, elapsed_s=elapsed()
    )


@source("dependencies")
def dependencies(ctx: Context) -> Dependencies:
    """One timed GET of each external API in [app] dependencies: status, time, error."""
    app = ctx.target.app
    if not app.dependencies:
        raise NotConfigured(
            f"no [app] dependencies in {ctx.target.path.name}: add the external APIs' health "
            "URLs to check them"
        )
    return Dependencies(
        configured_in=ctx.target.path.name,
        answers=tuple(
            _ask(ctx, name, url, app.health_timeout_s)
            for name, url in sorted(app.dependencies.items())
        ),
    )
