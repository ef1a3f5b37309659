"""Benchmark the full run (`pytest`, every check) at the simulated production's normal size
and at scale, side by side: AWS calls by operation, the evidence pass in round trips, and
the run's wall time.

At scale (fault `production-at-scale`): 250 alarms in the account, 150 more tasks stopped
in the hour, 40 task definition revisions, 50 targets, 20,000 more log lines in the last
five minutes. The simulator pages as AWS does (`opscheck.simulator.paging`), so a read
that follows its pages costs a call a page, and one that reads per resource shows here:
resources grow tens of times, calls must grow only by the pages they fill.

    python bench/scale.py --latency-ms 100 --repeat 3

Both simulators are forked from one fork server and run side by side; the runs alternate,
so both sizes see the same load. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from measure import ROOT, Run, run, simulated_target

from opscheck.run import CATALOG
from opscheck.simulator import catalog
from opscheck.simulator.effects.scale import ScaleChange
from opscheck.simulator.forkserver import ForkServer

SCALE = "production-at-scale"


def resources(r: Run) -> dict[str, int]:
    """What the run read, counted from its saved evidence."""
    logs = r.value("log_errors")
    return {
        "alarms named": len(r.value("alarms").get("alarms", {})),
        "stopped tasks in the hour": len(r.value("stopped_tasks").get("tasks", [])),
        "task definition revisions": len(r.value("task_definitions").get("active_revisions", [])),
        "targets": len(r.value("target_health").get("targets", [])),
        "ERROR lines counted": logs.get("count", 0),
        "log search pages": logs.get("pages", 0),
    }


def row(label: str, normal: object, scaled: object) -> str:
    return f"  {label:<42} {normal!s:>22} {scaled!s:>22}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=100, help="latency added per AWS call")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each size")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = simulated_target(args.latency_ms, folder)
        server = ForkServer.start(target, ROOT / CATALOG)
        try:
            began = time.perf_counter()
            normal_sim = server.simulator([])
            normal_start = time.perf_counter() - began
            began = time.perf_counter()
            scale_sim = server.simulator([SCALE])
            scale_start = time.perf_counter() - began
            runs: dict[str, list[Run]] = {"normal": [], "scale": []}
            try:
                for i in range(args.repeat):  # alternated, so both sizes see the same load
                    for size, sim in (("normal", normal_sim), ("scale", scale_sim)):
                        runs[size].append(run(folder / f"{size}-{i}.json", "all", sim))
            finally:
                normal_sim.stop()
                scale_sim.stop()
        finally:
            server.stop()

    normal, scaled = runs["normal"], runs["scale"]
    last_n, last_s = normal[-1], scaled[-1]
    print(
        f"full run (every check), {args.latency_ms} ms added per AWS call, {args.repeat} runs each"
    )
    staged = ScaleChange.model_validate(catalog.load(ROOT / CATALOG)[SCALE].effects["scale"])
    print(f"at scale ({SCALE}): " + ", ".join(f"{k} {v}" for k, v in staged))
    print(row("", "normal size", "at scale"))
    print(row("simulator forked in", f"{normal_start:.2f} s", f"{scale_start:.2f} s"))
    print("what the run read")
    for label in resources(last_n):
        print(row(label, resources(last_n)[label], resources(last_s)[label]))
    print("AWS calls (a paged read: one call a page)")
    operations = sorted(set(last_n.api_calls) | set(last_s.api_calls))
    for op in operations:
        n, s = last_n.api_calls.get(op, 0), last_s.api_calls.get(op, 0)
        print(row(op, n, s) + ("  <- more pages" if s > n else ""))
    print(row("total", sum(last_n.api_calls.values()), sum(last_s.api_calls.values())))

    def median(values: list[float]) -> float:
        return statistics.median(values)

    def trips(rs: list[Run]) -> str:
        seconds = median([r.evidence_s for r in rs])
        if not args.latency_ms:
            return f"{seconds * 1000:.0f} ms"
        return f"{seconds * 1000:.0f} ms = {seconds * 1000 / args.latency_ms:.1f} trips"

    print("time, median")
    print(row("evidence pass", trips(normal), trips(scaled)))
    walls_n, walls_s = [r.wall_s for r in normal], [r.wall_s for r in scaled]
    print(row("run wall time", f"{median(walls_n):.2f} s", f"{median(walls_s):.2f} s"))
    print(
        row(
            "  (min, max)",
            f"{min(walls_n):.2f}, {max(walls_n):.2f}",
            f"{min(walls_s):.2f}, {max(walls_s):.2f}",
        )
    )
    print(row("checks", last_n.counts, last_s.counts))


if __name__ == "__main__":
    main()
