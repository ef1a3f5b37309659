"""Writing the reports: a stale incident removed, a folder that is a file reported."""

from __future__ import annotations

from opscheck.reports.write import write_all
from tests.reports.helpers import CONTEXT, FINDINGS, finding


def test_reports_are_written_and_a_passing_run_removes_a_stale_incident(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    written, errors = write_all(FINDINGS, CONTEXT, tmp_path)
    assert errors == []
    assert {p.name for p in written} == {"summary.json", "summary.md", "incident.md"}
    write_all([finding("test_a", outcome="passed")], CONTEXT, tmp_path)
    assert not (tmp_path / "incident.md").exists()


def test_a_folder_that_is_a_file_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder")
    written, errors = write_all(FINDINGS, CONTEXT, blocker)
    assert written == []
    assert any("could not write" in e and "summary.json" in e for e in errors)
