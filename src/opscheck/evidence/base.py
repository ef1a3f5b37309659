"""What an evidence source is, and the registry of them.

A source is a function that reads one thing (an ECS service, the target health of a
target group, a set of alarms, the health endpoint) and returns a pydantic model of it.
It declares the IAM actions it uses: that list is the read-only guard's allow-list and
the IAM policy opscheck ships. Checks name sources as fixtures, so the plugin knows which
sources the selected checks need from their fixture names alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_type_hints

import requests
from pydantic import BaseModel, ConfigDict

from opscheck.aws import check_read_only

if TYPE_CHECKING:
    from opscheck.aws import ReadOnlySession
    from opscheck.target import Target


T = TypeVar("T")


class Model(BaseModel):
    """Base of every evidence model: immutable, strict about its fields, plain JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceUnavailable(Exception):
    """Raised by a source that cannot read and knows why (not configured, a token refused).

    Its message is the whole reason shown to the user; `permission` names what to grant.
    """

    def __init__(self, reason: str, permission: str | None = None) -> None:
        super().__init__(reason)
        self.permission = permission


class NotConfigured(SourceUnavailable):
    """Raised by a source the environment leaves out on purpose ([sentry], a health URL...).

    Its checks are skipped and say what to add: a team that does not use Sentry has not
    failed to look at it. Configured but unreadable stays a plain SourceUnavailable.
    """


@dataclass(frozen=True)
class Unavailable:
    """A source that could not be read; the checks that need it are inconclusive.

    `not_configured`: the environment leaves it out on purpose; its checks are skipped.
    """

    reason: str
    permission: str | None = None
    not_configured: bool = False


@dataclass
class Context:
    """What a source reads with: the target, a read-only AWS session and an HTTP session."""

    target: Target
    aws: ReadOnlySession
    http: requests.Session
    now: datetime
    _reads: dict[str, Future[Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def once(self, key: str, read: Callable[[], T]) -> T:
        """Make a read once per run even when several sources need it; the others wait for it.

        This is how one source builds on another's call (the task definitions on the
        service's DescribeServices) without a second request.
        """
        with self._lock:
            future = self._reads.get(key)
            owner = future is None
            if owner:
                future = self._reads[key] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result(read())
            except Exception as error:
                future.set_exception(error)
        return future.result()

    def direct_url(self, service: Literal["postgres", "redis"], install: str) -> str:
        """The URL of a direct read, [postgres] or [redis], from the variable the file names.

        Not configured without its table, or in a simulation that runs no such server
        (`install` says how to get one); unavailable when the variable is not set.
        """
        target = self.target
        table = target.postgres if service == "postgres" else target.redis
        key = "dsn_env" if service == "postgres" else "url_env"
        if table is None:
            raise NotConfigured(
                f"no [{service}] table in {target.path.name}: add one with {key} (the variable "
                "holding its URL) where this runner can reach it"
            )
        url = target.connection_url(service)
        if url is not None:
            return url
        if target.simulated:
            name = "PostgreSQL" if service == "postgres" else "Redis"
            raise NotConfigured(f"the simulated production runs no {name} here: {install}")
        raise SourceUnavailable(f"[{service}] {key}: the variable {getattr(table, key)} is not set")


@dataclass(frozen=True)
class Source:
    name: str
    model: type[Model]
    actions: tuple[str, ...]
    fetch: Callable[[Context], Model]
    doc: str


SOURCES: dict[str, Source] = {}


def source(name: str, *, actions: tuple[str, ...] = ()) -> Callable[[Any], Any]:
    """Register a function as the evidence source `name` using the given IAM read actions."""
    check_read_only(actions)

    def register(fetch: Callable[[Context], Model]) -> Callable[[Context], Model]:
        model = get_type_hints(fetch)["return"]
        doc = (fetch.__doc__ or name).strip().splitlines()[0]
        SOURCES[name] = Source(name, model, actions, fetch, doc)
        return fetch

    return register


def read_actions() -> frozenset[str]:
    """Return every IAM action any source uses: the allow-list and the IAM policy."""
    return frozenset(action for src in SOURCES.values() for action in src.actions)
