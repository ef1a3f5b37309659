"""The RDS log source, against a local server answering as RDS does (the simulator's answers).

moto has no DownloadDBLogFilePortion, and lists no real files: the server here answers the
two log actions with the simulator's own XML, paged as RDS pages, and DescribeDBInstances
with a minimal answer naming a custom parameter group.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from opscheck.evidence import Unavailable
from opscheck.evidence import rdslogs as source
from opscheck.evidence.collect import _fetch
from opscheck.evidence.rdslogs import RdsLogs, rds_logs, statement_text
from opscheck.simulator.effects import rdslogs as simulated
from opscheck.simulator.world import World
from tests.helpers import SIMULATED, LocalServer, Reply, Request, StartServer, context

INSTANCE = SIMULATED.rds.instance
XML = "text/xml"
# Half past: lines of the last 30 minutes are in this hour's file, older ones in the last's.
CLOCK = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
THIS_HOUR, LAST_HOUR = "error/postgresql.log.2026-11-26-15", "error/postgresql.log.2026-11-26-14"


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator's answers stamp lines by this clock, as the source reads by it."""
    monkeypatch.setattr(simulated, "now", lambda: CLOCK)


def instance_answer(group: str = "saaspe-pg16") -> str:
    return (
        '<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
        "<DescribeDBInstancesResult><DBInstances><DBInstance>"
        f"<DBInstanceIdentifier>{INSTANCE}</DBInstanceIdentifier>"
        "<DBInstanceStatus>available</DBInstanceStatus><Engine>postgres</Engine>"
        "<DBParameterGroups><DBParameterGroup>"
        f"<DBParameterGroupName>{group}</DBParameterGroupName>"
        "</DBParameterGroup></DBParameterGroups>"
        "</DBInstance></DBInstances></DescribeDBInstancesResult>"
        "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
        "</DescribeDBInstancesResponse>"
    )


def parameters_answer(slow_ms: str) -> str:
    return (
        '<DescribeDBParametersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">'
        "<DescribeDBParametersResult><Parameters><Parameter>"
        "<ParameterName>log_min_duration_statement</ParameterName>"
        f"<ParameterValue>{slow_ms}</ParameterValue><Source>user</Source>"
        "</Parameter></Parameters></DescribeDBParametersResult>"
        "<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata>"
        "</DescribeDBParametersResponse>"
    )


def rds_server(
    local_server: StartServer, lines: list[dict[str, Any]], slow_ms: str = "500", **replies: Reply
) -> LocalServer:
    """An RDS endpoint whose log holds `lines` (effect rds_log); `replies` replace actions."""
    world = World(SIMULATED, "http://127.0.0.1:9")
    simulated.write_lines(world, simulated.RdsLogChange.model_validate(lines), None)  # type: ignore[arg-type]

    def answer(request: Request) -> Reply:
        params = request.form()
        action = params["Action"]
        if action in replies:
            return replies[action]
        if action == "DescribeDBInstances":
            return Reply(body=instance_answer(), content_type=XML)
        if action == "DescribeDBParameters":
            return Reply(body=parameters_answer(slow_ms), content_type=XML)
        if action == "DescribeDBLogFiles":
            return Reply(body=simulated.describe_log_files(world, params), content_type=XML)
        return Reply(body=simulated.download_portion(world, params), content_type=XML)

    return local_server(answer)


def read(server: LocalServer) -> RdsLogs:
    return rds_logs(context(SIMULATED, server.url, now=CLOCK))


def actions(server: LocalServer, action: str) -> list[dict[str, str]]:
    return [p for r in server.requests if (p := r.form())["Action"] == action]


PROBLEMS = [
    {"message": "checkpoint starting: time", "minutes_ago": 150},  # a file older than the hour
    {"message": "duration: 9100.5 ms  statement: SELECT 1", "minutes_ago": 75},  # before it
    {"message": "duration: 812.0 ms  execute s1: SELECT id FROM users", "minutes_ago": 50},
    {
        "message": "duration: 4200.25 ms  statement: UPDATE users SET password='hunter2-plain', "
        "email = 'ann@example.com' WHERE id = 7",
        "minutes_ago": 40,
    },
    {"message": "sorry, too many clients already", "level": "FATAL", "repeat": 4},
    {
        "message": "remaining connection slots are reserved for roles with the SUPERUSER attribute",
        "level": "FATAL",
        "minutes_ago": 2,
    },
    {"message": "deadlock detected", "level": "ERROR", "minutes_ago": 30},
    # A statement over several lines is one entry; a DETAIL line only qualifies another.
    {"message": "duration: 3000.0 ms  statement: SELECT id\n\t  FROM clients", "minutes_ago": 20},
    {"message": "Process 7 could not extend file: No space left", "level": "DETAIL"},
    {
        "message": 'could not extend file "base/16384/24576": No space left on device',
        "level": "ERROR",
        "minutes_ago": 1,
    },
]


def test_every_file_of_the_window_is_read_in_blocks_and_parsed(
    local_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulated, "FILES_PER_PAGE", 1)  # the listing takes several pages
    monkeypatch.setattr(source, "LINES_PER_CALL", 2)  # each file takes several blocks
    server = rds_server(local_server, PROBLEMS)
    found = read(server)

    listings = actions(server, "DescribeDBLogFiles")
    assert len(listings) >= 2 and "Marker" in listings[1]
    assert all(int(p["FileLastWritten"]) > 0 for p in listings)
    downloads = actions(server, "DownloadDBLogFilePortion")
    assert {p["NumberOfLines"] for p in downloads} == {"2"}
    first = [p["Marker"] for p in downloads if p["LogFileName"] == found.files[0]]
    assert first[0] == "0" and len(first) >= 3  # followed the Marker to the file's end
    assert found.files == (THIS_HOUR, LAST_HOUR)  # newest first; 13:00's file not listed
    assert found.complete and found.cut_at is None and found.bytes_read > 0
    assert found.slow_log_ms == 500.0 and found.parameter_group == "saaspe-pg16"

    # The 9100 ms statement was written before the window: not counted.
    assert [s.duration_ms for s in found.slow] == [4200.25, 3000.0, 812.0]
    assert found.slow_count == 3 and found.slow[1].statement == "SELECT id FROM clients"
    assert found.slow[0].who == "saaspe_app@saaspe"
    assert found.slower_than(3000) == [found.slow[0]]
    assert found.refused_connections.count == 5
    assert "SUPERUSER" in found.refused_connections.samples[-1].text  # the newest last
    assert found.deadlocks.count == 1 and found.storage_errors.count == 1
    assert "No space left on device" in found.storage_errors.samples[0].text


def test_statements_keep_no_literal_or_secret() -> None:
    text = statement_text(
        "UPDATE users SET password='hunter2-plain', note = 'it''s', "
        "dsn = 'postgres://app:s3cret-pw@db:5432/saaspe'\n   WHERE id = 7"
    )
    assert "hunter2" not in text and "s3cret" not in text and "it''s" not in text
    assert text == "UPDATE users SET password='[REDACTED]', note = '?', dsn = '?' WHERE id = 7"
    assert len(statement_text("SELECT " + "x, " * 200)) == source.TEXT_CHARS


def test_a_connection_string_in_a_log_line_is_redacted(local_server: StartServer) -> None:
    server = rds_server(
        local_server,
        [
            {
                "message": "could not connect to postgres://app:s3cret-pw@db:5432/saaspe: "
                "No space left on device",
                "level": "ERROR",
            }
        ],
    )
    (line,) = read(server).storage_errors.samples
    assert "s3cret-pw" not in line.text and "[REDACTED]" in line.text


def test_the_read_stops_at_the_byte_bound_and_says_so(
    local_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "LINES_PER_CALL", 3)
    monkeypatch.setattr(source, "MAX_BYTES", 1000)
    lines = [{"message": "checkpoint starting: time", "minutes_ago": 20, "repeat": 20}]
    lines += [{"message": "sorry, too many clients already", "level": "FATAL", "minutes_ago": 2}]
    lines += [{"message": "deadlock detected", "level": "ERROR", "minutes_ago": 45}]
    server = rds_server(local_server, lines)
    found = read(server)
    # This hour's file is larger than the bound: its last 3 lines are read, in one call.
    (download,) = actions(server, "DownloadDBLogFilePortion")
    assert "Marker" not in download and download["LogFileName"] == THIS_HOUR
    assert found.cut_at == found.bytes_read and found.bytes_read < 1000 and not found.complete
    assert found.refused_connections.count == 1  # the newest line, which matters most now
    assert found.unread == (LAST_HOUR,) and found.deadlocks.count == 0  # not read at all


def test_a_file_grown_past_the_bound_while_read_is_cut_too(
    local_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "LINES_PER_CALL", 2)
    monkeypatch.setattr(source, "MAX_BYTES", 300)
    monkeypatch.setattr(
        simulated, "describe_log_files", _sizes_of_zero(simulated.describe_log_files)
    )
    lines = [{"message": "checkpoint starting: time", "minutes_ago": 20, "repeat": 8}]
    found = read(rds_server(local_server, lines))
    assert found.cut_at is not None and 300 <= found.cut_at < 600 and not found.complete


def _sizes_of_zero(describe):
    """A listing whose sizes say the files are empty: they grew after it, as logs do."""
    import re

    return lambda world, params: re.sub(
        r"<Size>\d+</Size>", "<Size>0</Size>", describe(world, params)
    )


def test_no_file_in_the_window_is_said_not_read_as_quiet(local_server: StartServer) -> None:
    server = rds_server(
        local_server, [{"message": "checkpoint starting: time", "minutes_ago": 150}]
    )
    found = read(server)
    assert found.files == () and found.lines == 0
    assert actions(server, "DownloadDBLogFilePortion") == []


def test_logging_of_durations_off_is_read_from_the_group(local_server: StartServer) -> None:
    assert read(rds_server(local_server, [], slow_ms="-1")).slow_log_ms is None


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (
            Reply(body="<html><body>Sign in to the portal</body></html>", content_type="text/html"),
            "not an AWS answer",
        ),
        (
            Reply(
                body=(
                    '<DownloadDBLogFilePortionResponse xmlns="http://rds.amazonaws.com/doc/'
                    '2014-10-31/"><DownloadDBLogFilePortionResult><LogFileData>x</LogFileData>'
                    "</DownloadDBLogFilePortionResult><ResponseMetadata><RequestId>r</RequestId>"
                    "</ResponseMetadata></DownloadDBLogFilePortionResponse>"
                ),
                content_type=XML,
            ),
            "without AdditionalDataPending",
        ),
    ],
)
def test_an_answer_without_the_promised_shape_is_unavailable(
    local_server: StartServer, reply: Reply, said: str
) -> None:
    server = rds_server(local_server, PROBLEMS[2:], DownloadDBLogFilePortion=reply)
    value = _fetch("rds_logs", context(SIMULATED, server.url, now=CLOCK))
    assert isinstance(value, Unavailable) and said in value.reason


def test_an_instance_rds_does_not_know_has_no_log_to_read(local_server: StartServer) -> None:
    missing = Reply(
        404,
        '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error>'
        "<Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance "
        f"{INSTANCE} not found.</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        XML,
    )
    server = rds_server(local_server, PROBLEMS, DescribeDBLogFiles=missing)
    value = _fetch("rds_logs", context(SIMULATED, server.url, now=CLOCK))
    assert isinstance(value, Unavailable) and "not found: it has no log to read" in value.reason
