"""Benchmark the simulator's start: cold (what `pytest --simulate` does) and forked.

Cold starts a fresh `python -m opscheck.simulator` each time: importing moto and seeding
the world over HTTP. Forked asks one seeded fork server for a simulator: fork, serve on
fresh ports, stage the faults, lock access. Both stop when they have answered their ready
line, and both are timed to it.

    python bench/simulator_start.py                  # median of 5, no faults
    python bench/simulator_start.py --fault bad-deployment --repeat 9

Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from opscheck.run import CATALOG
from opscheck.simulator import Simulator
from opscheck.simulator.forkserver import ForkServer
from opscheck.target import load

ROOT = Path(__file__).resolve().parents[1]


def timed(start: Callable[[], Simulator], repeat: int) -> tuple[list[float], list[float]]:
    """How long each start took, and each stop (what a run waits for at its end)."""
    starts, stops = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        sim = start()
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        sim.stop()
        stops.append(time.perf_counter() - began)
    return starts, stops


def line(label: str, times: list[float]) -> str:
    return (
        f"{label:<22} median {statistics.median(times):.3f} s of {len(times)} "
        f"(min {min(times):.3f}, max {max(times):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fault", default="", help="faults to stage, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="starts of each kind")
    args = parser.parse_args()
    faults = [f for f in args.fault.split(",") if f]
    target = load("simulated", ROOT)

    cold, cold_stop = timed(lambda: Simulator.start(target, ROOT / CATALOG, faults), args.repeat)
    began = time.perf_counter()
    server = ForkServer.start(target, ROOT / CATALOG)
    seeded = time.perf_counter() - began
    try:
        forked, forked_stop = timed(lambda: server.simulator(faults), args.repeat)
    finally:
        server.stop()

    print(f"faults                 {args.fault or 'none'}")
    print(line("cold start", cold))
    print(line("cold stop", cold_stop))
    print(f"{'fork server start':<22} {seeded:.3f} s (once per session)")
    print(line("forked start", forked))
    print(line("forked stop", forked_stop))


if __name__ == "__main__":
    main()
