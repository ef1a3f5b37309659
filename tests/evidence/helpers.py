"""What the evidence sources' tests share besides fixtures."""

from __future__ import annotations

from collections.abc import Callable

import requests

from opscheck.evidence import Context, Evidence, Unavailable
from opscheck.target import Target
from tests.helpers import NOW, SIMULATED, LocalServer, Reply, session


def called(server: LocalServer) -> list[str]:
    """The AWS operation (X-Amz-Target) or else the path of each request the server received."""
    return [r.headers.get("X-Amz-Target") or r.path for r in server.requests]


def with_health(target: Target, url: str | None, timeout_s: float = 5.0) -> Target:
    app = target.app.model_copy(update={"health_url": url, "health_timeout_s": timeout_s})
    return target.model_copy(update={"app": app})


def unavailable(evidence: Evidence, name: str) -> Unavailable:
    value = evidence.get(name)
    assert isinstance(value, Unavailable), f"{name} was read: {value!r}"
    return value


# -- against moto ----------------------------------------------------------------------------


def moto_target(cluster: str) -> Target:
    """Each test names resources of its own: moto's backend is shared by the whole process."""
    base = SIMULATED
    return base.model_copy(
        update={
            "ecs": base.ecs.model_copy(update={"cluster": cluster}),
            "alb": base.alb.model_copy(update={"target_group": f"{cluster}-tg"}),
        }
    )


def moto_context(target: Target, url: str) -> Context:
    return Context(target=target, aws=session(url), http=requests.Session(), now=NOW)


Routes = Callable[[dict[str, Reply]], LocalServer]  # the http_server fixture
NOT_FOUND = Reply(404, {"detail": "not found"})
