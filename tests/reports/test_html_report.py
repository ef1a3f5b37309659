"""The HTML report people look at: made by the project's own command, opened in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import pytest

from tests.helpers import ROOT, run_checks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ALLURE = ROOT / "node_modules" / ".bin" / "allure"
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=30000",
    "--window-size=1400,1000",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not ALLURE.exists(),
    reason="needs Chromium and `npm ci` (.ci/run installs both)",
)


def chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *HEADLESS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return done.stdout


TREE_ITEM = re.compile(r'class="[^"]*tree-item')


def drawn(page: str, attempts: int = 5) -> str:
    """The page's DOM once the report has drawn its tree of results.

    The report draws the tree after it has loaded its data, which on a busy machine can come
    after Chromium dumps the DOM (the header is there, the tree not yet): dump again, a few
    times, as a reader would wait for the page to finish.
    """
    dom = ""
    for _ in range(attempts):
        dom = chromium("--dump-dom", page)
        if TREE_ITEM.search(dom):  # an element of the tree, not its style sheet's rule
            break
    return dom


def test_the_html_report_shows_the_failing_section(tmp_path):
    run_checks(tmp_path, "-m", "p0", "--simulate", "bad-deployment")
    results = tmp_path / "reports" / "allure-results"
    html = tmp_path / "html"
    config = tmp_path / "reports" / "allurerc.json"
    command = [str(ALLURE), "awesome", str(results), "--config", str(config)]
    subprocess.run(
        [*command, "--group-by", "feature,story", "--output", str(html), "--single-file"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    page = (html / "index.html").as_uri()
    dom = drawn(page)
    assert "test_no_tasks_failed_to_pull_their_image" in dom
    assert "test_running_tasks_meet_desired" in dom
    # Grouped as the runbook is: the section, then the cause each check detects.
    assert "1. All ECS Tasks Down" in dom
    assert "Failed deployment (bad Docker image)" in dom
    shot = ROOT / "reports" / "html-report.png"
    shot.parent.mkdir(exist_ok=True)
    chromium(f"--screenshot={shot}", page)
    assert shot.stat().st_size > 10_000, "the screenshot is blank"
