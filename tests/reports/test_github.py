"""GitHub annotations and the job summary."""

from __future__ import annotations

from opscheck.reports import github
from opscheck.reports.write import write_all
from tests.reports.helpers import CONTEXT, FINDINGS, finding


def test_annotations_are_errors_for_p0_p1_and_inconclusive_warnings_otherwise():
    lines = github.annotations(FINDINGS, CONTEXT)
    assert [line.split(" ")[0] for line in lines] == ["::error", "::error", "::error", "::warning"]
    assert lines[0].startswith("::error title=P0%3A 1. All ECS Tasks Down::")
    assert lines[2].startswith("::error title=could not verify%3A 1. All ECS Tasks Down::")


def test_annotations_escape_and_stay_within_github_limits():
    many = [finding(f"test_{i}", message="50% down,\nline two") for i in range(15)]
    lines = github.annotations(many, CONTEXT)
    assert len(lines) == github.LIMIT
    assert lines[0].endswith("test_0: 50%25 down,%0Aline two")
    assert "title=P0%3A 1. All ECS Tasks Down" in lines[0]


def test_the_job_summary_is_appended_and_its_failure_reported(tmp_path, monkeypatch):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    write_all(FINDINGS, CONTEXT, tmp_path / "reports")
    assert step.read_text().startswith("earlier step\n## opscheck: FAIL")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "step.md"))
    _, errors = write_all(FINDINGS, CONTEXT, tmp_path / "reports")
    assert any("$GITHUB_STEP_SUMMARY" in e for e in errors)
