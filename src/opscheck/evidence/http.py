"""Evidence over plain HTTP: the application's own health endpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from opscheck.evidence.base import Context, Model, NotConfigured, SourceUnavailable, source


class HealthResponse(Model):
    url: str
    timeout_s: float
    status: int | None = None  # None: no answer (see error)
    elapsed_ms: float | None = None
    error: str | None = None
    body: str = ""


class NoHealthUrl(NotConfigured):
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


def get_json(
    ctx: Context,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | tuple[float, float],
    refused: Callable[[requests.Response], str | None],
) -> Any:
    """GET a JSON API; any failure is a SourceUnavailable whose reason the user can act on.

    `refused(answer)` words the service's own refusals (a token refused, a rate limit) and
    returns None for the rest, which are reported with their status and body.
    """
    seconds = timeout[1] if isinstance(timeout, tuple) else timeout
    try:
        answer = ctx.http.get(
            url, params=params, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        raise SourceUnavailable(f"GET {url}: no answer within {seconds:g} s") from None
    except requests.ConnectionError as error:
        raise SourceUnavailable(f"GET {url}: could not connect ({error})") from None
    if not answer.ok:
        reason = refused(answer)
        raise SourceUnavailable(
            reason or f"GET {url} answered {answer.status_code}: {answer.text[:120]}"
        )
    try:
        return answer.json()
    except ValueError:
        raise SourceUnavailable(f"GET {url} did not answer JSON: {answer.text[:120]}") from None
