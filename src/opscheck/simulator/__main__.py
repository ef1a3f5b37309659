"""Run the simulated production: `python -m opscheck.simulator --target FILE [--faults A,B]`.

Prints one JSON line with its endpoints once it is seeded, then serves until its
standard input closes, so it never outlives the process that started it.

With `--fork-server` it seeds and waits instead, printing the Unix socket it forks
simulators on (see `opscheck.simulator.forkserver`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from opscheck.simulator import catalog
from opscheck.target import TargetError, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opscheck.simulator", description=__doc__)
    parser.add_argument("--target", required=True, type=Path, help="the simulated environment file")
    parser.add_argument("--catalog", required=True, type=Path, help="the fault catalog folder")
    parser.add_argument("--faults", default="", help="comma-separated faults to stage")
    parser.add_argument(
        "--fork-server", action="store_true", help="seed once, then fork a simulator per request"
    )
    args = parser.parse_args(argv)
    try:
        target = load(str(args.target), root=args.target.parent.parent)
        known = catalog.load(args.catalog)
        faults = catalog.select(known, [n for n in args.faults.split(",") if n])
    except (TargetError, catalog.CatalogError) as error:
        print(error, file=sys.stderr)
        return 2
    from opscheck.evidence.base import SourceUnavailable
    from opscheck.simulator import forkserver
    from opscheck.simulator.process import Simulation

    try:
        if args.fork_server:
            return forkserver.serve(target, known)
        simulation = Simulation.boot(target)
    except SourceUnavailable as error:  # what the environment file points to is not there
        print(f"{args.target}: {error}", file=sys.stderr)
        return 2
    try:
        simulation.seed()
        gc.freeze()  # the seeded world stays: out of the collector's passes while serving
        try:
            ready = simulation.open(faults)
        except catalog.CatalogError as error:
            print(error, file=sys.stderr)
            return 2
        print(json.dumps(ready), flush=True)
        sys.stdin.read()
        simulation.close()
        return 0
    finally:
        simulation.databases.stop()


if __name__ == "__main__":
    code = main()
    # The simulated world lives in memory alone: nothing is left to save, and the interpreter
    # taking moto's models apart object by object at exit costs seconds its owner waits for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
