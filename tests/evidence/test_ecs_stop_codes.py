"""Out of memory only when it was: exit 137 also ends tasks ECS itself stopped."""

from __future__ import annotations

import pytest

from opscheck.evidence.ecs import ContainerExit, StoppedTask
from tests.helpers import task


def stopped(stop_code: str, exit_code: int | None, reason: str | None = None) -> StoppedTask:
    return task(
        "", ContainerExit(name="backend", exit_code=exit_code, reason=reason), stop_code=stop_code
    )


@pytest.mark.parametrize(
    "stop_code",
    [
        "TerminationNotice",
        "InfrastructureHealth",
        "UserInitiated",
        "ServiceSchedulerInitiated",
        "SpotInterruption",
    ],
)
def test_137_after_a_stop_ecs_began_is_not_out_of_memory(stop_code: str) -> None:
    assert not stopped(stop_code, 137).killed_out_of_memory


def test_137_of_an_essential_container_that_exited_is_out_of_memory() -> None:
    assert stopped("EssentialContainerExited", 137).killed_out_of_memory


def test_an_out_of_memory_reason_is_out_of_memory_whatever_the_stop() -> None:
    reason = "OutOfMemoryError: Container killed due to memory usage"
    assert stopped("TerminationNotice", 137, reason).killed_out_of_memory
