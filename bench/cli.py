"""Benchmark opscheck's on-call path against today's practice: the runbook's aws CLI commands.

The runbook's P0 diagnosis, run as its reader would, one command after another: section 1
(All ECS Tasks Down) and section 3 (Database Unavailable). Section 1 goes through the team's
`./scripts/mcp aws ...` wrapper; its AWS calls are run here as the aws CLI commands they
stand for (`ecs describe` is describe-services, `ecs logs --tail 100` the log group's last
100 events); `gh run list` reads GitHub, not AWS, and is left out. Both sides read the same
simulated production at the same added latency; each side is the median of --repeat runs.

    python bench/cli.py --latency-ms 100 --repeat 5

Needs the aws CLI (`pip install -e '.[bench]'`). Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import run_once, simulated, simulated_target

from opscheck.simulator import Simulator


def commands(target) -> list[list[str]]:
    """The runbook's P0 diagnosis commands (sections 1 and 3), with the target's names."""
    region = ["--region", target.aws.region]
    db = target.rds.instance
    return [
        # 1. ./scripts/mcp aws ecs describe --service ...
        ["ecs", "describe-services", "--cluster", target.ecs.cluster,
         "--services", target.ecs.service, *region],
        # 1. ./scripts/mcp aws ecs logs --service ... --tail 100
        ["logs", "filter-log-events", "--log-group-name", target.ecs.log_group,
         "--max-items", "100", *region],
        # 3. Check RDS status
        ["rds", "describe-db-instances", "--db-instance-identifier", db, "--query",
         "DBInstances[0].{Status:DBInstanceStatus,Available:AvailabilityZone}", *region],
        # 3. Check RDS events
        ["rds", "describe-events", "--source-identifier", db, "--source-type", "db-instance",
         "--duration", "60", *region],
    ]  # fmt: skip


def run_cli(aws: str, sim: Simulator, target) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=sim.credentials["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=sim.credentials["aws_secret_access_key"],
    )
    started = time.perf_counter()
    for command in commands(target):
        done = subprocess.run(
            [aws, "--endpoint-url", sim.aws_url, *command],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            sys.exit(f"aws {' '.join(command)} exited {done.returncode}: {done.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=100, help="latency added per AWS call")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each side")
    args = parser.parse_args()
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
    if aws is None:
        sys.exit("the aws CLI is not installed: pip install -e '.[bench]'")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        target = simulated_target(args.latency_ms, folder)
        with simulated(target, []) as (sim, _):
            cli, ours = [], []
            for i in range(args.repeat):  # interleaved, so both sides see the same load
                cli.append(run_cli(aws, sim, target))
                ours.append(run_once(folder / f"evidence-{i}.json", "p0", sim)[0])

    line = "median {:.2f} s of {} (min {:.2f}, max {:.2f})"
    print(f"added latency        {args.latency_ms} ms per AWS call")
    print(
        f"runbook CLI, P0      {len(commands(target))} aws commands in sequence: "
        + line.format(statistics.median(cli), len(cli), min(cli), max(cli))
    )
    print(
        "opscheck -m p0       "
        + line.format(statistics.median(ours), len(ours), min(ours), max(ours))
    )
    print(f"ratio opscheck / CLI {statistics.median(ours) / statistics.median(cli):.2f}")


if __name__ == "__main__":
    main()
