"""Paging as AWS pages, where moto answers everything at once.

moto answers ListTasks, ListTaskDefinitions and DescribeAlarms in one page however many
resources match, and FilterLogEvents in pages of matches only. AWS pages them (botocore's
service models and the services' API references): ListTasks and ListTaskDefinitions at
most 100 a page (`maxResults`, `nextToken`), DescribeAlarms at most 100 (`MaxRecords`,
`NextToken`), and FilterLogEvents at most 10,000 events or 1 MB a page, "partially full,
or even empty", with a `nextToken` while the search goes on. A reader that ignores a
token passes every test against moto and misses data on AWS; a benchmark against moto
counts one call where AWS costs several. So the simulator answers these itself, in
pages: the evidence pass makes the calls AWS would make.

FilterLogEvents searches the time range a slice at a time, `SEARCH_EVENTS` stored events
per call (how much AWS searches per call is not documented; its page bound is used):
a page holds the matches of its slice, so a quiet pattern in a busy group answers empty
pages with a token, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.logs.utils import EventMessageFilter

PAGE_SIZE = 100  # ListTasks, ListTaskDefinitions, DescribeAlarms: the most a page holds
LOG_EVENTS = 10_000  # FilterLogEvents: the most events a page holds (and its default limit)
LOG_BYTES = 1_048_576  # ... or 1 MB of them
EVENT_OVERHEAD = 26  # bytes CloudWatch Logs counts per event beside its message
SEARCH_EVENTS = LOG_EVENTS  # stored events one FilterLogEvents call searches


def page(items: list[Any], token: str | None, size: int | None) -> tuple[list[Any], str | None]:
    """One page of `items` from the position `token` names; the next token, or None at the end."""
    start = int(token) if token else 0
    end = start + min(size or PAGE_SIZE, PAGE_SIZE)
    return items[start:end], (str(end) if end < len(items) else None)


def _ecs_list(original: Callable[[Any], ActionResult], key: str) -> Callable[[Any], ActionResult]:
    def paged(self: Any) -> ActionResult:
        everything = original(self).result
        assert isinstance(everything, dict)
        items, token = page(
            everything[key], self._get_param("nextToken"), self._get_param("maxResults")
        )
        return ActionResult({key: items, **({"nextToken": token} if token else {})})

    return paged


def _describe_alarms(original: Callable[[Any], ActionResult]) -> Callable[[Any], ActionResult]:
    def paged(self: Any) -> ActionResult:
        everything = original(self).result
        assert isinstance(everything, dict)
        kinds = ("MetricAlarms", "CompositeAlarms")
        listed = [(kind, alarm) for kind in kinds for alarm in everything.get(kind, [])]
        items, token = page(listed, self._get_param("NextToken"), self._get_int_param("MaxRecords"))
        answer: dict[str, Any] = {kind: [a for k, a in items if k == kind] for kind in kinds}
        if token:
            answer["NextToken"] = token
        return ActionResult(answer)

    return paged


def filter_log_events(self: Any) -> str:
    """FilterLogEvents as CloudWatch Logs pages it: each call searches the next slice of the
    time range and answers the matches found there, up to the limit or 1 MB."""
    name = self._get_param("logGroupName")
    groups = self.logs_backend.groups
    if name not in groups:
        raise ResourceNotFoundException()
    limit = self._get_param("limit") or LOG_EVENTS
    if limit > LOG_EVENTS:
        raise InvalidParameterException(
            constraint=f"Member must have value less than or equal to {LOG_EVENTS}",
            parameter="limit",
            value=limit,
        )
    wanted = set(self._get_param("logStreamNames") or [])
    first, last = self._get_param("startTime"), self._get_param("endTime")
    stored = sorted(
        (
            (event, stream.log_stream_name)
            for stream in groups[name].streams.values()
            if not wanted or stream.log_stream_name in wanted
            for event in stream.events
            if (first is None or event.timestamp >= first)
            and (last is None or event.timestamp <= last)
        ),
        key=lambda pair: (pair[0].timestamp, pair[0].event_id),
    )
    pattern = EventMessageFilter(self._get_param("filterPattern") or "")
    token = self._get_param("nextToken")
    start = int(token) if token else 0
    searched = min(start + SEARCH_EVENTS, len(stored))
    events, size = [], 0
    for index in range(start, searched):
        event, stream = stored[index]
        if not pattern.matches(event.message):
            continue
        events.append(dict(event.to_filter_dict(), logStreamName=stream))
        size += len(event.message.encode()) + EVENT_OVERHEAD
        if len(events) >= limit or size >= LOG_BYTES:
            searched = index + 1
            break
    answer: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if searched < len(stored):
        answer["nextToken"] = str(searched)
    return json.dumps(answer)


def install() -> None:
    """Page these operations in this process's moto as AWS does (the simulator's process)."""
    ecs = EC2ContainerServiceResponse
    if getattr(ecs.list_tasks, "pages_like_aws", False):
        return
    patched = {
        (ecs, "list_tasks"): _ecs_list(ecs.list_tasks, "taskArns"),
        (ecs, "list_task_definitions"): _ecs_list(ecs.list_task_definitions, "taskDefinitionArns"),
        (CloudWatchResponse, "describe_alarms"): _describe_alarms(
            CloudWatchResponse.describe_alarms
        ),
        (LogsResponse, "filter_log_events"): filter_log_events,
    }
    for (cls, name), function in patched.items():
        function.pages_like_aws = True  # type: ignore[attr-defined]
        setattr(cls, name, function)
