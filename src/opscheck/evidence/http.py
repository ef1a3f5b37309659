"""Evidence over plain HTTP: the application's own health endpoint."""

from __future__ import annotations

import time

import requests

from opscheck.evidence.base import Context, Model, SourceUnavailable, source


class HealthResponse(Model):
    url: str
    timeout_s: float
    status: int | None = None  # None: no answer (see error)
    elapsed_ms: float | None = None
    error: str | None = None
    body: str = ""


class NoHealthUrl(SourceUnavailable):
    """The target names no health URL, so there is nothing to ask."""


@source("health_endpoint")
def health_endpoint(ctx: Context) -> HealthResponse:
    """One GET of the application's health URL: status code and time to answer."""
    url, timeout = ctx.target.app.health_url, ctx.target.app.health_timeout_s
    if not url:
        raise NoHealthUrl(f"no health URL is set: add [app] health_url to {ctx.target.path.name}")
    started = time.perf_counter()
    try:
        answer = ctx.http.get(url, timeout=(min(timeout, 3.0), timeout), allow_redirects=False)
    except requests.Timeout as error:
        return HealthResponse(
            url=url, timeout_s=timeout, error=f"no answer within {timeout:g} s ({error})"
        )
    except requests.ConnectionError as error:
        return HealthResponse(url=url, timeout_s=timeout, error=f"could not connect: {error}")
    return HealthResponse(
        url=url,
        timeout_s=timeout,
        status=answer.status_code,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        body=answer.text[:200],
    )
