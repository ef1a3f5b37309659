"""Benchmark what a `pytest -m p0` run loads before it can read anything, layer by layer.

Each layer is timed in a fresh interpreter that has loaded the layers before it untimed,
so a layer's figure is what it adds (CPU on one core: nothing here waits on the network):

- pytest and the plugins installed beside it: a bare `pytest` run of one empty test, in a
  folder with no runbook (opscheck stays out), whole process;
- opscheck's own imports for a run: pydantic with the models of the environment file and the
  runbook; requests; the evidence sources (their models too), the fixtures and the session;
- botocore and the clients of the five AWS services `-m p0` reads, built as the read-only
  session builds them;
- psycopg, which the database's sources import when `[postgres]` is set (in the evidence
  pass, beside the clients being built).

    python bench/startup.py --repeat 5

Compare the sum with the run's CPU time that `python bench/p0.py` prints. Nothing here
opens a connection.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

P0_SERVICES = ("cloudwatch", "ecs", "elbv2", "rds", "sts")

# (name, what is loaded first untimed, what is timed): each runs in a new interpreter.
LAYERS = [
    (
        "opscheck: pydantic and its models",
        "import pytest",
        "import opscheck.target, opscheck.runbook.model",
    ),
    ("opscheck: requests", "import pytest, opscheck.target", "import requests"),
    (
        "opscheck: evidence, fixtures, session",
        "import pytest, opscheck.target, requests",
        "import opscheck.fixtures, opscheck.session",
    ),
    (
        f"botocore, {len(P0_SERVICES)} clients",
        "import pytest, opscheck.fixtures, opscheck.session\n"
        "from opscheck.aws import ReadOnlySession\n"
        "from opscheck.evidence import read_actions",
        "session = ReadOnlySession('us-east-2', read_actions(), endpoint_url='http://127.0.0.1:9',"
        " credentials={'aws_access_key_id': 'AKIDEXAMPLE', 'aws_secret_access_key': 'x'})\n"
        f"for name in {P0_SERVICES!r}: session.client(name)",
    ),
    ("psycopg", "import pytest, opscheck.fixtures, opscheck.session", "import psycopg"),
]

TIMED = """
import time
{before}
began = time.process_time()
{timed}
print(time.process_time() - began)
"""


def layer_cpu(before: str, timed: str) -> float:
    code = TIMED.format(before=before, timed=timed)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def bare_pytest() -> float:
    """Wall time of a pytest run of one empty test, where opscheck has nothing to do."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_empty.py").write_text("def test_empty():\n    pass\n", encoding="utf-8")
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_empty.py"],
            cwd=tmp,
            capture_output=True,
            check=True,
        )
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="fresh interpreters per layer")
    args = parser.parse_args()

    figures = [("pytest and its plugins (bare run)", [bare_pytest() for _ in range(args.repeat)])]
    for name, before, timed in LAYERS:
        figures.append((name, [layer_cpu(before, timed) for _ in range(args.repeat)]))
    total = 0.0
    for name, times in figures:
        median = statistics.median(times)
        total += median
        print(f"{name:<40} median {median:.3f} s of {len(times)} (min {min(times):.3f})")
    print(f"{'sum':<40} {total:.3f} s, on one core")


if __name__ == "__main__":
    main()
