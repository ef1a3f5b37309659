"""Benchmark the on-call path: `pytest -m p0` against the simulated production.

Prints the simulator's start time apart from the run, the run's wall and CPU time, the
evidence pass (wall time, and in round trips when a latency is added), the AWS API calls
made (counted by the read-only session's before-call hook), and the pytest process's peak RSS.

    python bench/p0.py                  # loopback latency only
    python bench/p0.py --latency-ms 100 # every AWS call takes 100 ms more, like a real region
    python bench/p0.py --fault bad-deployment --repeat 5
    python bench/p0.py --marker all     # the full run: every check, no -m

Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
from pathlib import Path

from measure import run, simulated, simulated_target


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to every AWS call")
    parser.add_argument("--fault", default="", help="faults to stage, comma-separated")
    parser.add_argument(
        "--marker", default="p0", help="marker expression to run (default p0; 'all': every check)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs against one simulator")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = simulated_target(args.latency_ms, folder)
        faults = [f for f in args.fault.split(",") if f]
        with simulated(target, faults) as (sim, sim_start):
            runs = [
                run(folder / f"evidence-{i}.json", args.marker, sim) for i in range(args.repeat)
            ]
            # Before the simulator stops: once reaped, its own peak would count.
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    walls = [r.wall_s for r in runs]
    passes = [r.evidence_s for r in runs]
    code, by_action = runs[-1].exit_code, runs[-1].api_calls
    calls = sum(by_action.values())

    print(f"marker               -m {args.marker} (exit {code}), faults: {args.fault or 'none'}")
    print(f"added latency        {args.latency_ms} ms per AWS call")
    print(f"simulator start      {sim_start:.2f} s (not part of the run)")
    print(
        f"run wall time        median {statistics.median(walls):.2f} s of {args.repeat} runs "
        f"(min {min(walls):.2f}, max {max(walls):.2f})"
    )
    cpus = [r.cpu_s for r in runs]
    print(f"run CPU time         median {statistics.median(cpus):.2f} s (user and system)")
    ev = statistics.median(passes)
    line = f"evidence pass        median {ev * 1000:.0f} ms"
    if args.latency_ms:
        line += f" = {ev * 1000 / args.latency_ms:.1f} round trips of {args.latency_ms} ms"
    print(line)
    print(
        f"AWS API calls        {calls} per run: "
        + ", ".join(f"{k} {v}" for k, v in by_action.items())
    )
    print(f"pytest peak RSS      {peak_mb:.0f} MB (largest of the runs)")


if __name__ == "__main__":
    main()
