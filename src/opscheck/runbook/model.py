"""The runbook as data: severities, scenarios with their causes and branches, sections.

Frozen, so one parsed runbook is shared by every check and report of a run. Nothing
here knows Markdown: the parser builds these, and tests may build them by hand. The
lookups callers share live here, on the data they search: `Runbook.place` is where a
check's section (a scenario slug, or a section anchor) is read back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

_T = TypeVar("_T")
_STOP_WORDS = frozenset({"a", "an", "and", "if", "of", "or", "the", "issue", "bad", "slow"})
"""Besides grammar words, words that say how something is broken rather than what is:
"External API slow" must not match "If database slow" just because both are slow."""


@dataclass(frozen=True)
class Command:
    """One shell command, with the comment above it that says why it is run."""

    purpose: str
    text: str


@dataclass(frozen=True)
class Severity:
    level: str
    name: str
    definition: str
    response_time: str
    response_minutes: int
    examples: tuple[str, ...]

    @property
    def marker(self) -> str:
        """The pytest marker name that checks of this severity carry."""
        return self.level.lower()


@dataclass(frozen=True)
class Cause:
    """A listed cause; its slug (text before any "(") is what checks and reports key on."""

    number: int
    text: str
    slug: str


@dataclass(frozen=True)
class Branch:
    """A bold title ("**If bad deployment:**", "**Option 1: ...**") and what follows it."""

    title: str
    condition: str | None
    commands: tuple[Command, ...]
    notes: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Scenario:
    """One "### N. Title (Pn)" incident: what is seen, what to run, and what to do."""

    number: int
    title: str
    severity: str
    slug: str
    anchor: str
    line: int
    symptoms: tuple[str, ...]
    alarms: tuple[str, ...]
    diagnosis: tuple[Command, ...]
    causes: tuple[Cause, ...]
    branches: tuple[Branch, ...]
    post_incident: tuple[str, ...]

    @property
    def name(self) -> str:
        """How reports name it: "1. All ECS Tasks Down", the heading without its severity."""
        return f"{self.number}. {self.title}"

    def cause(self, slug: str) -> Cause:
        return _find(self.causes, "slug", slug, f"scenario {self.number} cause")

    def branch_for(self, cause: Cause) -> Branch | None:
        """The "If ..." branch that names most of the cause's words, if exactly one does.

        The runbook pairs causes with branches only by wording, so an unclear pairing is
        None rather than a guess.
        """
        words = _stems(cause.text)
        scored = [(len(words & _stems(b.condition)), b) for b in self.branches if b.condition]
        best = max((score for score, _ in scored), default=0)
        winners = [branch for score, branch in scored if score == best]
        return winners[0] if best and len(winners) == 1 else None


@dataclass(frozen=True)
class Procedure:
    title: str
    options: tuple[Branch, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    role: str
    start_minute: int
    end_minute: int | None
    duties: tuple[str, ...]

    @property
    def span(self) -> str:
        if self.end_minute is None:
            return f">{self.start_minute} min"
        return f"{self.start_minute}-{self.end_minute} min"


@dataclass(frozen=True)
class Template:
    audience: str
    name: str
    text: str


@dataclass(frozen=True)
class Maintenance:
    review: str
    owner: str
    last_review: date
    next_review: date


@dataclass(frozen=True)
class Section:
    """A top-level ('## ') section: what a check of no single scenario maps to."""

    title: str  # "Rollback Procedures"
    anchor: str  # "rollback-procedures", also its slug
    line: int
    commands: tuple[Command, ...]  # every command in its code blocks, subsections included

    @property
    def name(self) -> str:
        """How reports name it: its title, as `Scenario.name` is a scenario's."""
        return self.title


@dataclass(frozen=True)
class Runbook:
    path: str
    title: str
    version: str
    links: Mapping[str, str] = field(hash=False)
    severities: Mapping[str, Severity] = field(hash=False)
    scenarios: tuple[Scenario, ...]
    rollback: tuple[Procedure, ...]
    escalation: tuple[EscalationLevel, ...]
    templates: tuple[Template, ...]
    post_incident: Mapping[str, tuple[str, ...]] = field(hash=False)
    maintenance: Maintenance
    sections: tuple[Section, ...] = ()

    def scenario(self, slug: str) -> Scenario:
        return _find(self.scenarios, "slug", slug, "scenario")

    def section(self, anchor: str) -> Section:
        return _find(self.sections, "anchor", anchor, "section")

    def place(self, slug: str) -> Scenario | Section:
        """The scenario of `slug`, else the top-level section whose anchor it is.

        A check maps to one or the other (opscheck.mapping), and every report reads a
        finding's section back through here, so all agree that a scenario comes first.
        """
        for scenario in self.scenarios:
            if scenario.slug == slug:
                return scenario
        for section in self.sections:
            if section.anchor == slug:
                return section
        scenarios = ", ".join(s.slug for s in self.scenarios)
        sections = ", ".join(s.anchor for s in self.sections)
        raise KeyError(
            f"no scenario or section {slug!r}; scenarios: {scenarios}; sections: {sections}"
        )

    def template(self, name: str) -> Template:
        return _find(self.templates, "name", name, "template")

    def escalation_at(self, minutes: float) -> EscalationLevel:
        """Who owns an incident `minutes` after it began.

        The parser checked that the levels follow on from minute 0, so the first level
        not yet over is the answer, and the open-ended last level catches the rest.
        """
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        for level in self.escalation:
            if level.end_minute is None or minutes < level.end_minute:
                return level
        return self.escalation[-1]


def _find(items: tuple[_T, ...], key: str, wanted: str, what: str) -> _T:
    for item in items:
        if getattr(item, key) == wanted:
            return item
    known = ", ".join(getattr(item, key) for item in items)
    raise KeyError(f"no {what} {wanted!r}; known: {known}")


def _stems(text: str | None) -> frozenset[str]:
    words = re.findall(r"[a-z]+", (text or "").lower())
    return frozenset(stem for w in words if (stem := w.removesuffix("s")) not in _STOP_WORDS)
