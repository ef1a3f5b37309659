"""The health_endpoint source, against a server on 127.0.0.1."""

from __future__ import annotations

from opscheck.evidence import gather
from opscheck.evidence.http import HealthResponse
from opscheck.target import Target
from tests.evidence.helpers import called, unavailable, with_health
from tests.helpers import Serve, context

# -- the health endpoint ---------------------------------------------------------------------


def test_no_health_url_says_where_to_set_it(target: Target) -> None:
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, None)
    result = unavailable(gather(["health_endpoint"], ctx, deadline_s=5), "health_endpoint")
    assert "add [app] health_url to simulated.toml" in result.reason


def test_health_endpoint_503_is_read_as_evidence(target: Target, serve: Serve) -> None:
    server = serve(503, b"Service Unavailable", content_type="text/plain")
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, f"{server.url}/health")
    health = gather(["health_endpoint"], ctx, deadline_s=5).get("health_endpoint")
    assert isinstance(health, HealthResponse)
    assert (health.status, health.error, health.body) == (503, None, "Service Unavailable")
    assert health.elapsed_ms is not None
    assert called(server) == ["/health"]


def test_slow_health_endpoint_has_no_answer(target: Target, serve: Serve) -> None:
    server = serve(200, b"ok", content_type="text/plain", delay_s=3)
    ctx = context(target, "http://127.0.0.1:9")
    ctx.target = with_health(target, f"{server.url}/health", timeout_s=0.3)
    health = gather(["health_endpoint"], ctx, deadline_s=5).get("health_endpoint")
    assert isinstance(health, HealthResponse)
    assert health.status is None
    assert health.error is not None and health.error.startswith("no answer within 0.3 s")
