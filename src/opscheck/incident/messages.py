"""The runbook's Communication Templates after the start: Update, Identified, Resolution, Resolved,
and the incident log of its Post-Incident Process.

Each message is the runbook's own template with its bracketed placeholders replaced by what
the record and the evidence establish. A placeholder opscheck cannot know (the ETA, the
post-mortem's link, the owner) is kept as the runbook wrote it, for the on-call to fill in:
nothing is invented. Intervals (the 15 minutes between updates, the 1 hour / 24 hours /
1 week of the post-incident steps) are read from the runbook's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from opscheck.runbook import Runbook

_EVERY = re.compile(r"every (\d+) minutes?|update in (\d+) minutes?", re.IGNORECASE)
_WITHIN = re.compile(r"(\d+)\s*(hour|day|week)s?", re.IGNORECASE)
_UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def fill(runbook: Runbook, name: str, values: Mapping[str, str | None]) -> str:
    """The template `name` with each placeholder given a value replaced; None keeps it."""
    text = runbook.template(name).text
    for placeholder, value in values.items():
        if value is not None:
            text = text.replace(placeholder, value)
    return text


def brief(section: str, target: str, causes: list[str]) -> str:
    """[Brief Description]: the scenario, where, and the likely cause when one is identified."""
    title = section.split(". ", 1)[-1]
    return f"{title} on {target}" + (f" (likely: {'; '.join(causes)})" if causes else "")


def customer_words(cause: str) -> str:
    """A cause as customers read it: the runbook's words without the engineers' aside in
    parentheses ("Failed deployment (bad Docker image)" -> "failed deployment"); an acronym
    that starts it ("RDS instance rebooting") keeps its capitals."""
    words = cause.split("(")[0].strip()
    if len(words) > 1 and words[1].islower():
        words = words[0].lower() + words[1:]
    return words


def update_minutes(runbook: Runbook) -> int | None:
    """The minutes between updates the runbook promises ("Updates: Every 15 minutes")."""
    for name in ("Incident Start", "Investigating"):
        found = _EVERY.search(runbook.template(name).text)
        if found:
            return int(found[1] or found[2])
    return None


def clock(at: datetime) -> str:
    return f"{at:%H:%M}"


def duration(start: datetime, end: datetime) -> str:
    minutes = max(0, round((end - start).total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def update(
    runbook: Runbook,
    severity: str,
    description: str,
    actions: list[str],
    status: str,
    at: datetime,
) -> str:
    """The Slack Update: what the evidence shows was done, where it stands, the next update."""
    every = update_minutes(runbook)
    return fill(
        runbook,
        "Update",
        {
            "[P0/P1/P2]": severity,
            "[Brief Description]": description,
            "[What was done]": "; ".join(actions) or None,
            "[Still investigating / Implementing fix / Rolling back]": status,
            "[Time]": f"{clock(at + timedelta(minutes=every))} UTC" if every else None,
        },
    )


def identified(runbook: Runbook, cause: str, at: datetime) -> str:
    return fill(
        runbook, "Identified", {"[brief cause]": customer_words(cause), "[Time]": clock(at)}
    )


def resolution(
    runbook: Runbook,
    severity: str,
    description: str,
    *,
    cause: str | None,
    actions: list[str],
    lasted: str,
) -> str:
    """The Slack Resolution: the cause identified, the actions observed, start to verified."""
    return fill(
        runbook,
        "Resolution",
        {
            "[P0/P1/P2]": severity,
            "[Brief Description]": description,
            "[Brief explanation]": cause,
            "[What fixed it]": "; ".join(actions) or None,
            "[Total downtime]": lasted,
        },
    )


def resolved(runbook: Runbook, at: datetime) -> str:
    return fill(runbook, "Resolved", {"[Time]": clock(at)})


VERIFY = "Verify resolution"  # the step a resolved record has done: opscheck verified it


def post_incident(runbook: Runbook, resolved_at: datetime) -> list[str]:
    """The runbook's post-incident steps as checkboxes, each due its interval after resolution;
    "Verify resolution" is ticked: the run that resolved the incident did it."""
    lines = []
    for when, steps in runbook.post_incident.items():
        within = _WITHIN.search(when)
        due = (
            f" (due {resolved_at + int(within[1]) * _UNITS[within[2].lower()]:%Y-%m-%d %H:%M} UTC)"
            if within
            else ""
        )
        lines += [f"- [{'x' if step == VERIFY else ' '}] {when}{due}: {step}" for step in steps]
    return lines
