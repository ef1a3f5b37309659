"""The record folder: written whole, read back, refused clearly when it is not a record."""

from __future__ import annotations

import json
import re

import pytest

from opscheck.incident import record
from opscheck.incident.record import Entry, Failing, Record, RecordError
from tests.reports.helpers import WHEN

GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"  # a published token shape


def sample(name="db", message="svc: 0 of 2 tasks running"):
    failing = Failing(
        check="test_running_tasks_meet_desired",
        outcome="failed",
        severity="P0",
        section="1. All ECS Tasks Down",
        message=message,
    )
    entry = Entry(at=WHEN, phase="start", failing=(failing,), evidence="evidence-1.json")
    return Record(name=name, target="simulated", started_at=WHEN, entries=(entry,))


def test_a_record_reads_back_as_written(tmp_path):
    where = record.folder(tmp_path, "db")
    written = record.save(where, sample(), "# Incident db\n")
    assert [p.name for p in written] == ["record.json", "incident.md"]
    assert record.load(where) == sample()
    assert json.loads((where / "record.json").read_text())["schema"] == 1
    assert list(where.glob(".*.tmp")) == []


def test_no_record_yet_is_none(tmp_path):
    assert record.load(record.folder(tmp_path, "new")) is None


def test_two_incidents_keep_apart(tmp_path):
    for name in ("db", "api"):
        record.save(record.folder(tmp_path, name), sample(name), f"# {name}\n")
    assert record.load(record.folder(tmp_path, "db")).name == "db"
    assert record.load(record.folder(tmp_path, "api")).name == "api"


def test_a_write_interrupted_half_way_leaves_the_last_record(tmp_path, monkeypatch):
    where = record.folder(tmp_path, "db")
    record.save(where, sample(), "# first\n")

    def cut(*args):
        raise KeyboardInterrupt  # Ctrl-C between writing the temporary file and renaming it

    monkeypatch.setattr(record.os, "replace", cut)
    with pytest.raises(KeyboardInterrupt):
        record.save(where, sample(message="later"), "# later\n")
    monkeypatch.undo()
    assert record.load(where) == sample()
    assert (where / "incident.md").read_text() == "# first\n"
    assert list(where.glob(".*.tmp")) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not readable as JSON"),
        ('{"schema": 7}', "not an opscheck incident record (schema 1)"),
        ('{"schema": 1, "name": "db", "target": "x"}', "started_at: Field required"),
        ('{"schema": 1, "name": "db", "target": "x", "started_at": "soon"}', "started_at"),
    ],
)
def test_a_corrupted_record_is_an_error_naming_the_file(tmp_path, text, says):
    where = record.folder(tmp_path, "db")
    where.mkdir(parents=True)
    (where / "record.json").write_text(text)
    with pytest.raises(RecordError, match=re.escape(says)) as error:
        record.load(where)
    assert str(error.value).startswith(f"{where / 'record.json'}: ")
    assert "name another incident with --incident" in str(error.value)


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden", "x" * 65])
def test_a_name_that_is_not_a_folder_name_is_refused(tmp_path, name):
    with pytest.raises(RecordError, match="use letters, digits"):
        record.folder(tmp_path, name)


def test_what_is_written_is_redacted(tmp_path):
    where = record.folder(tmp_path, "db")
    record.save(where, sample(message=f"token {GITHUB_TOKEN} leaked"), f"# {GITHUB_TOKEN}\n")
    for path in (where / "record.json", where / "incident.md"):
        assert GITHUB_TOKEN not in path.read_text() and "[REDACTED]" in path.read_text()


def test_each_run_has_its_own_evidence_file(tmp_path):
    first = record.evidence_path(tmp_path, WHEN)
    assert first.name == "evidence-20261126T103000Z.json"
    first.write_text("{}")
    assert record.evidence_path(tmp_path, WHEN).name == "evidence-20261126T103000Z-2.json"
