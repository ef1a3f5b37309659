"""The dependencies source: external APIs timed against real servers on 127.0.0.1."""

from __future__ import annotations

from opscheck.evidence import Unavailable, gather
from opscheck.evidence.dependencies import Dependencies
from tests.evidence.helpers import Routes
from tests.helpers import SIMULATED, Reply, context, unused_port


def test_dependencies_are_timed_with_status_and_errors(
    http_server: Routes,
) -> None:
    server = http_server(
        {
            "/ok": Reply(body={"status": "ok"}),
            "/down": Reply(503, "Service Unavailable"),
            "/slow": Reply(body={"status": "ok"}, delay_s=5),
        }
    )
    app = SIMULATED.app.model_copy(
        update={
            "health_timeout_s": 0.5,
            "dependencies": {
                "ok": f"{server.url}/ok",
                "down": f"{server.url}/down",
                "slow": f"{server.url}/slow",
                "gone": f"http://127.0.0.1:{unused_port()}/health",
            },
        }
    )
    found = gather(["dependencies"], context(SIMULATED.model_copy(update={"app": app}), "x")).get(
        "dependencies"
    )
    assert isinstance(found, Dependencies)
    by_name = {a.name: a for a in found.answers}
    assert [a.name for a in found.answers] == ["down", "gone", "ok", "slow"]
    assert (by_name["ok"].status, by_name["ok"].ok) == (200, True)
    assert (by_name["down"].status, by_name["down"].ok) == (503, False)
    assert by_name["slow"].timed_out and by_name["slow"].status is None
    assert by_name["slow"].error == "no answer within 0.5 s (ReadTimeout)"
    assert by_name["slow"].elapsed_s is not None and by_name["slow"].elapsed_s >= 0.5
    assert by_name["gone"].status is None and not by_name["gone"].timed_out
    assert by_name["gone"].error
    assert by_name["ok"].elapsed_s is not None and by_name["ok"].elapsed_s < 0.5


def test_no_dependencies_is_not_configured_not_unseen() -> None:
    """A team without external APIs has left nothing unchecked: its check is skipped."""
    app = SIMULATED.app.model_copy(update={"dependencies": {}})
    target = SIMULATED.model_copy(update={"app": app})
    found = gather(["dependencies"], context(target, "x")).get("dependencies")
    assert isinstance(found, Unavailable) and found.not_configured
    assert found.reason.startswith("no [app] dependencies in simulated.toml: add the external")
