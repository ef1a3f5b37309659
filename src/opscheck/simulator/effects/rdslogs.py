"""RDS: the DB instance's PostgreSQL log files (evidence: `rdslogs`).

moto lists no real log files (its DescribeDBLogFiles is a stub) and has no
DownloadDBLogFilePortion, so the simulator answers both itself, in the XML RDS documents
and paging as RDS pages: DescribeDBLogFiles by Marker, DownloadDBLogFilePortion in blocks of
NumberOfLines from Marker "0", cut at 1 MB, with AdditionalDataPending. As the simulator
answers them before moto sees them, moto's IAM enforcement does not cover these two actions.

Lines are kept with their age and stamped when asked, so a fork server seeded minutes ago
still serves the last hour; they fall into RDS's hourly files by that stamp. The healthy
seed writes routine lines (checkpoints, connections, one statement above the group's
log_min_duration_statement and under the slow threshold) and sets that parameter in a
custom parameter group, as a team that logs slow statements does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from pydantic import RootModel

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, answer, effect, seed
from opscheck.simulator.world import World

PARAMETER_GROUP = "saaspe-production-postgres16"
HEALTHY_SLOW_LOG_MS = "500"  # log_min_duration_statement of the healthy instance's group
FILES_PER_PAGE = 100  # DescribeDBLogFiles' page (MaxRecords when asked for fewer)
MAX_ANSWER_BYTES = 1024**2  # RDS cuts a DownloadDBLogFilePortion answer at 1 MB
DEFAULT_LINES = 10000  # lines RDS returns when neither Marker nor NumberOfLines is given
NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/"


@dataclass(frozen=True)
class Line:
    minutes_ago: float
    text: str  # after the prefix: "LOG:  checkpoint starting: time"
    who: str = "saaspe_app@saaspe"
    remote: str = "10.0.12.7(51234)"
    pid: int = 4711


_LINES: dict[int, list[Line]] = {}  # id(world) -> its log lines

HEALTHY = (
    Line(70, "LOG:  checkpoint starting: time", who="@", remote=""),
    Line(69.5, "LOG:  checkpoint complete: wrote 412 buffers (2.5%); 0 WAL file(s) added", "@", ""),
    Line(40, "LOG:  connection received: host=10.0.12.7 port=51234"),
    Line(40, "LOG:  connection authorized: user=saaspe_app database=saaspe SSL enabled"),
    Line(35, "LOG:  checkpoint starting: time", who="@", remote=""),
    Line(34.5, "LOG:  checkpoint complete: wrote 388 buffers (2.4%); 0 WAL file(s) added", "@", ""),
    Line(
        22,
        'LOG:  duration: 642.118 ms  execute s3: SELECT "public"."Proposal"."id" FROM '
        '"public"."Proposal" WHERE "public"."Proposal"."clientId" = $1',
    ),
    Line(12, "LOG:  connection received: host=10.0.13.9 port=40022", remote="10.0.13.9(40022)"),
    Line(5, "LOG:  checkpoint starting: time", who="@", remote=""),
    Line(4.5, "LOG:  checkpoint complete: wrote 97 buffers (0.6%); 0 WAL file(s) added", "@", ""),
)


@seed("rdslogs", after=("rds",))
def routine_log(world: World) -> None:
    """Routine log lines, and a parameter group that logs statements slower than 500 ms."""
    rds = world.client("rds")
    rds.create_db_parameter_group(
        DBParameterGroupName=PARAMETER_GROUP,
        DBParameterGroupFamily="postgres16",
        Description="saaspe production: logs slow statements",
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=PARAMETER_GROUP,
        Parameters=[
            {
                "ParameterName": "log_min_duration_statement",
                "ParameterValue": HEALTHY_SLOW_LOG_MS,
                "ApplyMethod": "immediate",
            }
        ],
    )
    rds.modify_db_instance(
        DBInstanceIdentifier=world.target.rds.instance,
        DBParameterGroupName=PARAMETER_GROUP,
        ApplyImmediately=True,
    )
    _LINES[id(world)] = list(HEALTHY)


class LogLineChange(Change):
    """Lines PostgreSQL writes to its log, with RDS's prefix added by the simulator."""

    message: str
    """The text after the level, as PostgreSQL writes it: `sorry, too many clients already`."""
    level: str = "LOG"
    """Its level: LOG, ERROR, FATAL, PANIC."""
    minutes_ago: float = 3
    """How long ago it was written (the first of its repeats)."""
    repeat: int = 1
    """How many times, a few seconds apart."""
    who: str = "saaspe_app@saaspe"
    """The `user@database` of the prefix."""


class RdsLogChange(RootModel[list[LogLineChange]]):
    """Lines to add to the DB instance's PostgreSQL log."""


@effect("rds_log", RdsLogChange)  # type: ignore[arg-type]
def write_lines(world: World, change: RdsLogChange, fault: Fault) -> None:
    lines = _LINES.setdefault(id(world), [])
    for line in change.root:
        for n in range(line.repeat):
            text = f"{line.level}:  {line.message}"
            lines.append(Line(max(line.minutes_ago - n * 0.05, 0), text, who=line.who))


def now() -> datetime:
    """The clock lines are stamped with when asked (tests set it, to place hourly files)."""
    return datetime.now(UTC)


def _files(world: World) -> dict[str, tuple[datetime, list[str]]]:
    """RDS's hourly files as of now: name -> (last written, lines oldest first)."""
    at_now = now()
    files: dict[str, tuple[datetime, list[str]]] = {}
    for line in sorted(_LINES.get(id(world), []), key=lambda line: -line.minutes_ago):
        at = at_now - timedelta(minutes=line.minutes_ago)
        name = f"error/postgresql.log.{at:%Y-%m-%d-%H}"
        stamped = f"{at:%Y-%m-%d %H:%M:%S} UTC:{line.remote}:{line.who}:[{line.pid}]:{line.text}"
        _, lines = files.get(name, (at, []))
        files[name] = (at, [*lines, stamped])
    return files


def _response(action: str, inner: str) -> str:
    return (
        f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>simulated</RequestId></ResponseMetadata></{action}Response>"
    )


@answer("DescribeDBLogFiles")
def describe_log_files(world: World, params: dict[str, str]) -> str:
    """The RDS query-protocol answer (API reference: DescribeDBLogFiles), paged by Marker."""
    since = int(params.get("FileLastWritten", "0"))
    listed = [
        (name, written, lines)
        for name, (written, lines) in sorted(_files(world).items())
        if int(written.timestamp() * 1000) >= since
    ]
    start = int(params.get("Marker", "0"))
    size = min(int(params.get("MaxRecords", FILES_PER_PAGE)), FILES_PER_PAGE)
    page = listed[start : start + size]
    details = "".join(
        "<DescribeDBLogFilesDetails>"
        f"<LogFileName>{escape(name)}</LogFileName>"
        f"<LastWritten>{int(written.timestamp() * 1000)}</LastWritten>"
        f"<Size>{sum(len(line) + 1 for line in lines)}</Size>"
        "</DescribeDBLogFilesDetails>"
        for name, written, lines in page
    )
    more = start + size < len(listed)
    marker = f"<Marker>{start + size}</Marker>" if more else ""
    return _response(
        "DescribeDBLogFiles", f"<DescribeDBLogFiles>{details}</DescribeDBLogFiles>{marker}"
    )


@answer("DownloadDBLogFilePortion")
def download_portion(world: World, params: dict[str, str]) -> str:
    """The RDS query-protocol answer (API reference: DownloadDBLogFilePortion).

    Marker "0" and NumberOfLines read forward from the start; NumberOfLines alone the last
    lines; neither, the last 10,000. An answer stops at 1 MB; the Marker says where to go on.
    """
    _, lines = _files(world).get(params.get("LogFileName", ""), (None, []))
    count = int(params["NumberOfLines"]) if "NumberOfLines" in params else None
    if "Marker" in params:
        start = int(params["Marker"])
        end = len(lines) if count is None else min(start + count, len(lines))
    else:
        end = len(lines)
        start = max(end - (count or DEFAULT_LINES), 0)
    block: list[str] = []
    size = 0
    for line in lines[start:end]:
        if size + len(line) + 1 > MAX_ANSWER_BYTES and block:
            break
        block.append(line)
        size += len(line) + 1
    following = start + len(block)
    data = "".join(f"{line}\n" for line in block)
    inner = (
        f"<LogFileData>{escape(data)}</LogFileData><Marker>{following}</Marker>"
        f"<AdditionalDataPending>{str(following < len(lines)).lower()}</AdditionalDataPending>"
    )
    return _response("DownloadDBLogFilePortion", inner)
