"""What a run under --incident writes: the record and its evidence, or nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from opscheck.evidence.collect import Evidence
from opscheck.incident.record import RecordError
from opscheck.incident.tracker import IncidentTracker
from tests.incident.helpers import healthy, outage
from tests.reports.helpers import CONTEXT, RUNBOOK, WHEN

EVIDENCE = Evidence(target="simulated", collected_at=WHEN, values={})


def tracker(tmp_path, name="checkout"):
    return IncidentTracker(name, tmp_path, RUNBOOK, None)


def test_a_failing_run_opens_the_record_with_its_evidence(tmp_path):
    outcome = tracker(tmp_path).advance(outage(), CONTEXT, EVIDENCE)
    folder = tmp_path / "incidents" / "checkout"
    assert sorted(p.name for p in folder.iterdir()) == [
        "evidence-20261126T103000Z.json",
        "incident.md",
        "record.json",
    ]
    assert outcome.lines[0] == "incident checkout: start" and outcome.problem is None
    again = tracker(tmp_path)
    assert again.record is not None and again.started_at == WHEN
    assert again.record.entries[0].evidence == "evidence-20261126T103000Z.json"


def test_nothing_failing_writes_nothing(tmp_path):
    outcome = tracker(tmp_path).advance(healthy(), CONTEXT, EVIDENCE)
    assert outcome.lines == ["incident checkout: nothing failing; no incident opened"]
    assert not (tmp_path / "incidents").exists()


def test_a_run_that_did_not_finish_leaves_the_record(tmp_path):
    tracker(tmp_path).advance(outage(), CONTEXT, EVIDENCE)
    before = (tmp_path / "incidents" / "checkout" / "record.json").read_text()
    cut = replace(CONTEXT, complete=False)
    outcome = tracker(tmp_path).advance(healthy(), cut, EVIDENCE)
    assert outcome.lines == ["incident checkout: the run did not finish; record unchanged"]
    assert (tmp_path / "incidents" / "checkout" / "record.json").read_text() == before


def test_two_incidents_open_at_once(tmp_path):
    tracker(tmp_path, "checkout").advance(outage(), CONTEXT, EVIDENCE)
    later = replace(CONTEXT, finished_at=WHEN.replace(minute=45))
    tracker(tmp_path, "billing").advance(outage(), later, EVIDENCE)
    assert tracker(tmp_path, "checkout").started_at == WHEN
    assert tracker(tmp_path, "billing").started_at == WHEN.replace(minute=45)


def test_a_corrupted_record_is_refused_at_once(tmp_path):
    folder = tmp_path / "incidents" / "checkout"
    folder.mkdir(parents=True)
    (folder / "record.json").write_text("[]")
    with pytest.raises(RecordError, match=r"record\.json: not an opscheck incident record"):
        tracker(tmp_path)


def test_the_header_names_the_incident_and_keeps_its_start(tmp_path):
    assert tracker(tmp_path).pytest_report_header() == [
        "opscheck: incident checkout: no record yet; a failing run opens it"
    ]
    tracker(tmp_path).advance(outage(), CONTEXT, EVIDENCE)
    later = IncidentTracker("checkout", tmp_path, RUNBOOK, WHEN.replace(hour=9))
    header = later.pytest_report_header()
    assert header[0].startswith("opscheck: incident checkout (open) since 2026-11-26 10:30 UTC")
    assert "--incident-start 2026-11-26 09:30 UTC ignored" in header[1]
    assert later.started_at == WHEN
