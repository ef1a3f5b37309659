"""An incident on the simulated production, from the bad deployment through its rollback to the
verified resolution: three runs under `--incident`, each message held against the runbook's
template (every placeholder filled or deliberately kept, no line invented)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from tests.end_to_end.helpers import RUNBOOK
from tests.helpers import run_checks

# Placeholders the evidence cannot fill, kept for the on-call as the runbook wrote them.
KEPT = {"Update": {"[Estimated resolution time]"}, "Resolution": {"[Link to doc]"}}
PLACEHOLDER = re.compile(r"\[[^\]]+\]")


def kept(name: str, text: str) -> set[str]:
    """The placeholders of template `name` that `text` keeps; fails unless `text` is the
    template with each placeholder replaced by one line's worth of text."""
    template = RUNBOOK.template(name).text
    parts = PLACEHOLDER.split(template)
    holes = PLACEHOLDER.findall(template)
    pattern = "".join(
        re.escape(part) + (f"(?P<h{i}>[^\n]+)" if i < len(holes) else "")
        for i, part in enumerate(parts)
    )
    match = re.fullmatch(pattern, text)
    assert match, f"{name} is not the runbook's template filled in:\n{text}"
    return {hole for i, hole in enumerate(holes) if match[f"h{i}"] == hole}


def test_an_incident_from_start_to_verified_resolution(tmp_path):
    began = (datetime.now(UTC) - timedelta(minutes=20)).replace(microsecond=0)
    incident = ("-m", "p0", "--incident", "checkout")
    start = run_checks(
        tmp_path,
        *incident,
        "--simulate",
        "bad-deployment",
        f"--incident-start={began:%Y-%m-%dT%H:%M:%SZ}",
    )
    assert start.returncode == 1, start.output
    folder = tmp_path / "reports" / "incidents" / "checkout"
    record = json.loads((folder / "record.json").read_text())
    assert datetime.fromisoformat(record["started_at"]) == began
    first = record["entries"][0]
    assert first["phase"] == "start"
    assert list(first["messages"]) == ["Incident Start", "Investigating", "Identified"]
    for name, text in first["messages"].items():
        assert kept(name, text) == set(), name
        assert text.splitlines()[0] in start.output
    assert "We have identified the issue as failed deployment." in first["messages"]["Identified"]
    assert "engage L2 DevOps Lead now" in start.output  # 20 minutes in

    rollback = run_checks(tmp_path, *incident, "--simulate", "rollback-in-progress")
    assert rollback.returncode == 1, rollback.output
    # -m p0 selects no check of 2. High Error Rate: the incident adds its health checks.
    assert "checks added to verify its resolution (" in rollback.output
    assert "test_error_rate_is_low" in rollback.checks
    counts = re.search(
        r"collected (\d+) items / (\d+) deselected / (\d+) selected", rollback.output
    )
    assert counts, rollback.output  # and pytest's own counts say so
    assert int(counts[3]) == len(rollback.checks) == int(counts[1]) - int(counts[2])
    update = json.loads((folder / "record.json").read_text())["entries"][1]
    text = update["messages"]["Update"]
    assert kept("Update", text) == KEPT["Update"]
    assert "Current Status: Rolling back to :3" in text
    assert (
        "Action Taken: Rolled back saaspe-production-backend:4 -> saaspe-production-backend:3"
        in text
    )
    next_update = datetime.fromisoformat(update["at"]) + timedelta(minutes=15)
    assert f"Next Update: {next_update:%H:%M} UTC" in text
    assert text.startswith("🟡 UPDATE: P1 All ECS Tasks Down on simulated") and text in (
        rollback.output.replace("\n    ", "\n")
    )
    changed = re.search(r"newly failing: (.+); newly passing: (.+)", rollback.output)
    assert changed and changed[1] == "none", rollback.output
    assert set(changed[2].split(", ")) == {
        "test_targets_are_healthy",
        "test_unhealthy_targets_alarm_is_not_firing",
        "test_health_endpoint_answers",
        "test_no_tasks_failed_to_pull_their_image",
    }

    healthy = run_checks(tmp_path, *incident)
    assert healthy.returncode == 0, healthy.output
    record = json.loads((folder / "record.json").read_text())
    last = record["entries"][-1]
    assert last["phase"] == "resolved" and record["resolved_at"] == last["at"]
    assert kept("Resolution", last["messages"]["Resolution"]) == KEPT["Resolution"]
    assert kept("Resolved", last["messages"]["Resolved"]) == set()
    minutes = round((datetime.fromisoformat(last["at"]) - began).total_seconds() / 60)
    assert f"Duration: {minutes} min" in last["messages"]["Resolution"]
    assert "Root Cause: Failed deployment (bad Docker image)" in healthy.output
    log = (folder / "incident.md").read_text()
    assert "- [x] Immediate (Within 1 hour)" in log and "Within 1 week (due " in log

    # Any moment replays from the record: the rollback, judged again with no network.
    replay = run_checks(
        tmp_path / "replay", "-m", "p0", f"--evidence={folder / update['evidence']}"
    )
    assert replay.named("failed") == {"test_running_tasks_meet_desired"}, replay.output


def test_a_corrupted_record_is_a_usage_error_naming_it(tmp_path):
    folder = tmp_path / "reports" / "incidents" / "checkout"
    folder.mkdir(parents=True)
    (folder / "record.json").write_text('{"schema": 1, "name": "checkout"')
    result = run_checks(tmp_path, "-m", "p0", "--incident", "checkout")
    assert result.returncode == 4, result.output
    assert f"{folder / 'record.json'}: not readable as JSON" in result.output
    assert "Traceback" not in result.output
