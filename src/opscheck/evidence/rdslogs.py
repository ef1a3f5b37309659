"""Evidence from the DB instance's PostgreSQL log, read through the RDS API.

The runbook's scenario 4 diagnosis lists the log files (`aws rds describe-db-log-files`);
what they hold answers causes no metric names: the statements slower than
`log_min_duration_statement`, the connections PostgreSQL refused (scenario 3's "Too many
connections"), deadlocks, and writes that failed for lack of space ("Storage full"). The
API works from any runner: no network path to the database is needed.

Only the files written within the window are listed (DescribeDBLogFiles, FileLastWritten)
and read, newest first, from their start in blocks of lines (DownloadDBLogFilePortion with
Marker "0", then the Marker each answer returns, until AdditionalDataPending is false). RDS
cuts an answer at 1 MB, so a block is a few thousand lines, and the whole read stops at
MAX_BYTES: a busy instance's log can be far larger than an on-call run should download,
and the API spends the instance's own resources. A file larger than what the bound leaves
is read from its end instead (NumberOfLines without a Marker: its newest lines, one block),
and older files are left unread. When the bound cuts the read the evidence says so
(`cut_at`), and a check that found nothing is then inconclusive, not green.

Lines are parsed with RDS's default `log_line_prefix` for PostgreSQL, `%t:%r:%u@%d:[%p]:`.
Nothing is kept whole: statements have their string literals masked and are redacted and
shortened, and only the matches' counts and a few samples are evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from opscheck.aws import NotAnAwsAnswer
from opscheck.evidence.base import Context, Model, SourceUnavailable, source
from opscheck.evidence.rds import rds_instance
from opscheck.redact import redact, sql

WINDOW_MINUTES = 60  # RDS rotates PostgreSQL's log hourly: the current file and the last
MAX_BYTES = 4 * 1024**2  # downloaded at most per run, over every file
LINES_PER_CALL = 2000  # a block well under the 1 MB RDS cuts an answer at, for common lines
MAX_SLOW = 10  # slowest statements kept
SAMPLES = 3  # newest lines kept of each other kind
TEXT_CHARS = 160
# RDS writes this where it cut a line at its 1 MB answer limit.
CUT_LINE = "[Your log message was truncated]"

# %t:%r:%u@%d:[%p]: then the level. %r (host(port), or [local]) may hold colons (IPv6):
# the user@database part holds none, so the host is matched lazily up to it.
PREFIX = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?:UTC|GMT):(?P<remote>.*?):"
    r"(?P<user>[^:@]*)@(?P<db>[^:]*):\[(?P<pid>\d*)\]:(?P<level>[A-Z0-9]+):\s+(?P<text>.*)$"
)
# Simple and extended protocol (Prisma prepares its statements: "execute s12: SELECT ...").
DURATION = re.compile(
    r"^duration: (?P<ms>\d+(?:\.\d+)?) ms\s+(?:statement|(?:execute|parse|bind) [^:]*):\s*"
    r"(?P<statement>.*)$",
    re.DOTALL,
)
REFUSED = (
    "sorry, too many clients already",
    "remaining connection slots are reserved",
    "too many connections",
)
DEADLOCK = "deadlock detected"
# Levels of a message; DETAIL, HINT, CONTEXT and STATEMENT lines only qualify one.
MESSAGE_LEVELS = ("LOG", "WARNING", "ERROR", "FATAL", "PANIC")
STORAGE = ("could not extend file", "no space left on device")


def statement_text(statement: str) -> str:
    """A statement as evidence: literals masked (values, passwords), redacted, one line, short."""
    return shorten(sql(statement))


def shorten(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


class LogLine(Model):
    at: datetime
    file: str  # the log file it is in, to download it
    text: str  # redacted and shortened; statements have their literals masked
    who: str = ""  # user@database


class Matches(Model):
    count: int = 0
    samples: tuple[LogLine, ...] = ()  # the newest, oldest first


class SlowStatement(Model):
    at: datetime
    file: str
    duration_ms: float
    statement: str  # literals masked, redacted, shortened
    who: str = ""


class RdsLogs(Model):
    instance: str
    start: datetime
    end: datetime
    files: tuple[str, ...] = ()  # written within the window, newest first, as read
    bytes_read: int = 0
    lines: int = 0  # log entries within the window
    # Set to the bytes read when MAX_BYTES stopped the read with more left: what was read
    # counts, but a check that finds nothing has not seen the whole window.
    cut_at: int | None = None
    unread: tuple[str, ...] = ()  # files listed but not read (the bound, or rotated away)
    lines_cut_by_rds: int = 0  # lines RDS truncated at its 1 MB answer limit
    # The parameter group's log_min_duration_statement in ms; None: -1, nothing logged.
    slow_log_ms: float | None = None
    parameter_group: str | None = None
    slow: tuple[SlowStatement, ...] = ()  # the slowest, slowest first
    slow_count: int = 0
    refused_connections: Matches = Matches()
    deadlocks: Matches = Matches()
    storage_errors: Matches = Matches()

    @property
    def window_minutes(self) -> int:
        return round((self.end - self.start).total_seconds() / 60)

    @property
    def complete(self) -> bool:
        return self.cut_at is None and not self.unread

    def slower_than(self, ms: float) -> list[SlowStatement]:
        return [s for s in self.slow if s.duration_ms > ms]


@source(
    "rds_logs",
    actions=(
        "rds:DescribeDBLogFiles",
        "rds:DownloadDBLogFilePortion",
        "rds:DescribeDBInstances",
        "rds:DescribeDBParameters",
    ),
)
def rds_logs(ctx: Context) -> RdsLogs:
    """PostgreSQL's log of the last hour, via RDS: slow statements, refusals, deadlocks, disk.

    Bounded: MAX_BYTES at most, newest file first; the evidence says when that cut the read.
    """
    name = ctx.target.rds.instance
    start = ctx.now - timedelta(minutes=WINDOW_MINUTES)
    rds = ctx.aws.client("rds")
    listed = _files(rds, name, start)  # first: it needs nothing the instance's read gives
    reading = _Reading(start)
    unread: list[str] = []
    for file, size in listed:
        if reading.cut_at is not None:
            unread.append(file)
            continue
        reading.file = file
        try:
            if size > MAX_BYTES - reading.bytes_read:
                # Too big for what the bound leaves: its newest lines, which matter most now.
                reading.read(_tail(rds, name, file))
                reading.cut_at = reading.bytes_read
            else:
                reading.read(_portions(rds, name, file, reading))
        except ClientError as error:
            if error.response["Error"]["Code"] not in (
                "DBLogFileNotFoundFault",
                "DBLogFileNotFound",
            ):
                raise
            unread.append(file)  # rotated away between the listing and the download
    instance = rds_instance(ctx)  # the instance's checks' DescribeDBInstances, read by now
    if instance.missing:
        raise SourceUnavailable(f"DB instance {name} not found: it has no log to read")
    return RdsLogs(
        instance=name,
        start=start,
        end=ctx.now,
        files=tuple(f for f, _ in listed if f not in unread),
        unread=tuple(unread),
        parameter_group=instance.parameter_group,
        slow_log_ms=_slow_log_ms(instance.log_min_duration_statement_setting),
        **reading.found(),
    )


def _slow_log_ms(setting: str | None) -> float | None:
    """log_min_duration_statement as set: milliseconds, or None when off (-1, RDS's default)."""
    try:
        value = float(setting) if setting is not None else -1.0
    except ValueError:
        return None
    return value if value >= 0 else None


def _files(rds: Any, name: str, start: datetime) -> list[tuple[str, int]]:
    """The files written since `start` and their sizes, newest first: during an incident the
    newest lines matter most."""
    found: list[dict[str, Any]] = []
    since = int(start.timestamp() * 1000)
    try:
        pages = rds.get_paginator("describe_db_log_files")
        for page in pages.paginate(DBInstanceIdentifier=name, FileLastWritten=since):
            found += page.get("DescribeDBLogFiles", [])
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("DBInstanceNotFound", "DBInstanceNotFoundFault"):
            raise
        raise SourceUnavailable(f"DB instance {name} not found: it has no log to read") from None
    # Filtered here too: not every AWS-compatible endpoint honours FileLastWritten.
    recent = [f for f in found if f.get("LastWritten", 0) >= since and f.get("LogFileName")]
    recent.sort(key=lambda f: f.get("LastWritten", 0), reverse=True)
    return [(f["LogFileName"], f.get("Size", 0)) for f in recent]


def _tail(rds: Any, name: str, file: str) -> Iterator[str]:
    """The file's last LINES_PER_CALL lines (NumberOfLines without a Marker), one call."""
    answer = rds.download_db_log_file_portion(
        DBInstanceIdentifier=name, LogFileName=file, NumberOfLines=LINES_PER_CALL
    )
    _promised(answer, file)
    yield answer.get("LogFileData") or ""


def _promised(answer: dict[str, Any], file: str) -> None:
    if "AdditionalDataPending" not in answer:
        raise NotAnAwsAnswer(
            f"rds:DownloadDBLogFilePortion answered for {file} without AdditionalDataPending, "
            "which RDS always sends: cannot tell whether the file was read to its end"
        )


def _portions(rds: Any, name: str, file: str, reading: _Reading) -> Iterator[str]:
    """The file's text, block by block from its start, until it ends or the bound is reached."""
    marker = "0"
    while True:
        answer = rds.download_db_log_file_portion(
            DBInstanceIdentifier=name, LogFileName=file, Marker=marker, NumberOfLines=LINES_PER_CALL
        )
        _promised(answer, file)
        data = answer.get("LogFileData") or ""
        yield data
        pending, following = answer["AdditionalDataPending"], answer.get("Marker")
        if not pending:
            return
        if not following or following == marker:
            raise NotAnAwsAnswer(
                f"rds:DownloadDBLogFilePortion said more of {file} is pending but gave no new "
                "Marker to read it from: not an answer RDS gives"
            )
        if reading.bytes_read >= MAX_BYTES:
            reading.cut_at = reading.bytes_read
            return
        marker = following


class _Reading:
    """What the lines read so far hold; entries span lines (a statement's continuation)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.file = ""
        self.bytes_read = 0
        self.cut_at: int | None = None
        self.lines = 0
        self.cut_lines = 0
        self.slow: list[SlowStatement] = []
        self.slow_count = 0
        self.kinds: dict[str, list[LogLine]] = {"refused": [], "deadlocks": [], "storage": []}
        self.counts = dict.fromkeys(self.kinds, 0)

    def read(self, portions: Iterator[str]) -> None:
        entry: list[str] = []
        for data in portions:
            self.bytes_read += len(data.encode("utf-8"))
            for line in data.splitlines():
                self.cut_lines += CUT_LINE in line
                starts = PREFIX.match(line) is not None
                if starts and entry:
                    self._entry(entry)
                    entry = []
                if starts or entry:  # a tail's first lines may end an entry it did not read
                    entry.append(line)
        if entry:
            self._entry(entry)

    def _entry(self, lines: list[str]) -> None:
        first = PREFIX.match(lines[0])
        assert first is not None
        at = _when(first["at"])
        if at is None or at < self.start:
            return  # the previous hour's file holds lines from before the window
        self.lines += 1
        text = "\n".join([first["text"], *lines[1:]])
        who = f"{first['user']}@{first['db']}" if first["user"] or first["db"] else ""
        level, lower = first["level"], text.lower()
        duration = DURATION.match(text) if level == "LOG" else None
        if duration:
            self.slow_count += 1
            statement = statement_text(duration["statement"])
            self.slow.append(
                SlowStatement(
                    at=at,
                    file=self.file,
                    duration_ms=float(duration["ms"]),
                    statement=statement,
                    who=who,
                )
            )
            self.slow = sorted(self.slow, key=lambda s: -s.duration_ms)[:MAX_SLOW]
            return
        kind = None
        if level == "FATAL" and any(r in lower for r in REFUSED):
            kind = "refused"
        elif DEADLOCK in lower and level in ("ERROR", "FATAL"):
            kind = "deadlocks"
        elif level in MESSAGE_LEVELS and any(s in lower for s in STORAGE):
            kind = "storage"
        if kind:
            self.counts[kind] += 1
            line = LogLine(
                at=at,
                file=self.file,
                text=shorten(redact(f"{level}: {' '.join(text.split())}")),
                who=who,
            )
            # Files are read newest first: keep the newest lines, whatever order they came in.
            newest = sorted([*self.kinds[kind], line], key=lambda found: found.at)
            self.kinds[kind] = newest[-SAMPLES:]

    def found(self) -> dict[str, Any]:
        def matches(kind: str) -> Matches:
            return Matches(count=self.counts[kind], samples=tuple(self.kinds[kind]))

        return {
            "bytes_read": self.bytes_read,
            "cut_at": self.cut_at,
            "lines": self.lines,
            "lines_cut_by_rds": self.cut_lines,
            "slow": tuple(self.slow),
            "slow_count": self.slow_count,
            "refused_connections": matches("refused"),
            "deadlocks": matches("deadlocks"),
            "storage_errors": matches("storage"),
        }


def _when(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    except ValueError:
        return None
