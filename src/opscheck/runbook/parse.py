"""The parser: the runbook's Markdown, read with markdown-it-py, into the model.

The runbook is written for people under pressure, but the checks in this project read it
too: each scenario's diagnosis commands, causes and resolution branches become checks. So
the parser is strict: an edit that changes the runbook's shape fails with the line and what
was expected there, rather than quietly dropping a scenario from the checks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType

from markdown_it.tree import SyntaxTreeNode

from opscheck.runbook.errors import RunbookError
from opscheck.runbook.markdown import (
    BOLD,
    Group,
    Malformed,
    Outline,
    items,
    kind_name,
    outline,
)
from opscheck.runbook.model import (
    Branch,
    Cause,
    Command,
    EscalationLevel,
    Maintenance,
    Procedure,
    Runbook,
    Scenario,
    Section,
    Severity,
    Template,
)

__all__ = ["RunbookError", "load", "parse"]

_LEVELS = ("P0", "P1", "P2", "P3")
_SEVERITY = re.compile(r"(?P<level>P\d+)\s+-\s+(?P<name>[^(]+?)(?:\s*\(.*\))?")
_RESPONSE = re.compile(r"<\s*(?P<n>\d+)\s+(?P<unit>minute|hour)s?")
_SCENARIO = re.compile(r"(?P<number>\d+)\.\s+(?P<rest>.+)")
_SCENARIO_LEVEL = re.compile(r"(?P<title>.+?)\s*\((?P<level>P\d+)\)")
_ESCALATION = re.compile(r"Level\s+(?P<level>\d+):\s*(?P<role>.+?)\s*\((?P<span>[^()]*)\)")
_SPAN = re.compile(r"(?P<start>\d+)\s*-\s*(?P<end>\d+)\s*min|>\s*(?P<after>\d+)\s*min")


def load(path: str | os.PathLike[str]) -> Runbook:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunbookError(str(path), 0, "file not found; expected the runbook here") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunbookError(str(path), 0, f"cannot read the runbook: {error}") from None
    return parse(text, str(path))


def parse(text: str, path: str = "<runbook>") -> Runbook:
    try:
        return _runbook(text, path)
    except Malformed as error:
        raise RunbookError(path, *error.args) from None


def _runbook(text: str, path: str) -> Runbook:
    if not text.strip():
        raise Malformed(1, "the runbook is empty")
    root = outline(text)
    if not root.title:
        raise Malformed(1, "expected a '# ' title heading such as '# Incident Response Runbook'")
    severities = _severities(root.child("Incident Severity Levels"))
    return Runbook(
        path=path,
        title=root.title,
        version=root.field("Version")[0],
        links=MappingProxyType(_links(root.child("Quick Reference").child("Critical Links"))),
        severities=MappingProxyType(severities),
        scenarios=_scenarios(root.child("Common Incidents & Responses"), severities),
        rollback=tuple(
            map(_procedure, root.child("Rollback Procedures").subsections("Backend Rollback"))
        ),
        escalation=_escalation(root.child("Escalation Path")),
        templates=_templates(root.child("Communication Templates")),
        post_incident=MappingProxyType(_post_incident(root.child("Post-Incident Process"))),
        maintenance=_maintenance(root.child("Runbook Maintenance")),
        sections=tuple(map(_section, root.children)),
    )


def _section(section: Outline) -> Section:
    commands: list[Command] = []
    for part in (section, *section.children):
        for node in part.blocks:
            if node.type == "fence":
                commands += _commands(node)[0]
    return Section(section.title, _anchor(section.title), section.line, tuple(commands))


def _severities(section: Outline) -> dict[str, Severity]:
    severities: dict[str, Severity] = {}
    for sub in section.subsections("P0 - Critical (Immediate Response)"):
        heading = _SEVERITY.fullmatch(sub.title)
        if not heading:
            expected = "a severity heading such as 'P0 - Critical (Immediate Response)'"
            raise Malformed(sub.line, f"expected {expected}, got '{sub.title}'")
        level = heading["level"]
        if level not in _LEVELS or level in severities:
            problem = "duplicate" if level in severities else "unknown"
            expected = ", ".join(_LEVELS)
            raise Malformed(sub.line, f"{problem} severity level '{level}'; expected {expected}")
        response, response_line = sub.field("Response Time")
        severities[level] = Severity(
            level=level,
            name=heading["name"],
            definition=sub.field("Definition")[0],
            response_time=response,
            response_minutes=_response_minutes(response, response_line),
            examples=_split_outside_parentheses(sub.field("Examples")[0]),
        )
    return severities


def _response_minutes(text: str, line: int) -> int:
    immediate = re.fullmatch(r"Immediate \((.*)\)", text)
    match = _RESPONSE.fullmatch(immediate[1] if immediate else text)
    if not match:
        expected = "a response time such as '< 30 minutes' or 'Immediate (< 5 minutes)'"
        raise Malformed(line, f"expected {expected}, got '{text}'")
    return int(match["n"]) * (60 if match["unit"] == "hour" else 1)


def _scenarios(section: Outline, severities: Mapping[str, Severity]) -> tuple[Scenario, ...]:
    scenarios: list[Scenario] = []
    for sub in section.subsections("1. All ECS Tasks Down (P0)"):
        scenario = _scenario(sub, severities)
        for what in ("number", "slug"):
            value = getattr(scenario, what)
            seen = next((seen for seen in scenarios if getattr(seen, what) == value), None)
            if seen is not None:
                problem = f"duplicate scenario {what} '{value}' (first on line {seen.line})"
                raise Malformed(sub.line, problem)
        scenarios.append(scenario)
    return tuple(scenarios)


def _scenario(section: Outline, severities: Mapping[str, Severity]) -> Scenario:
    number, title, severity = _scenario_heading(section, severities)
    parts: dict[str, Group] = {}
    branches: list[Branch] = []
    for group in section.groups("Symptoms:"):
        if group.title in ("Symptoms", "Diagnosis", "Common Causes", "Post-Incident"):
            parts.setdefault(group.title, group)
        elif group.title != "Resolution":
            branches.append(_branch(group))
    symptoms = items(_part(section, parts, "Symptoms", "bullet_list", "ordered_list"))
    diagnosis, _ = _commands(_part(section, parts, "Diagnosis", "fence", "code_block"))
    if not diagnosis:
        raise Malformed(parts["Diagnosis"].line, "expected a command in the diagnosis code block")
    causes = items(_part(section, parts, "Common Causes", "ordered_list"))
    post_incident = (
        _part(section, parts, "Post-Incident", "bullet_list") if "Post-Incident" in parts else None
    )
    return Scenario(
        number=number,
        title=title,
        severity=severity,
        slug=_slug(title),
        anchor=_anchor(section.title),
        line=section.line,
        symptoms=tuple(text for text, _ in symptoms),
        alarms=tuple(
            name for text, _ in symptoms if "alarm" in text.lower() for name in _backticked(text)
        ),
        diagnosis=diagnosis,
        causes=tuple(_cause(n, *item) for n, item in enumerate(causes, 1)),
        branches=tuple(branches),
        post_incident=tuple(text for text, _ in items(post_incident)),
    )


def _scenario_heading(section: Outline, severities: Mapping[str, Severity]) -> tuple[int, str, str]:
    numbered = _SCENARIO.fullmatch(section.title)
    if not numbered:
        expected = "a numbered scenario heading such as '1. All ECS Tasks Down (P0)'"
        raise Malformed(section.line, f"expected {expected}, got '{section.title}'")
    heading = _SCENARIO_LEVEL.fullmatch(numbered["rest"])
    if not heading:
        raise Malformed(
            section.line,
            f"expected a severity such as '(P1)' at the end of scenario heading '{section.title}'",
        )
    if heading["level"] not in severities:
        defined = ", ".join(severities)
        problem = f"severity '{heading['level']}' is not a defined level ({defined})"
        raise Malformed(section.line, f"scenario '{section.title}': {problem}")
    return int(numbered["number"]), heading["title"], heading["level"]


def _part(section: Outline, parts: dict[str, Group], label: str, *kinds: str) -> SyntaxTreeNode:
    if label not in parts:
        expected = f"a '**{label}:**' {kind_name(kinds[0])} in '{section.heading}'"
        raise Malformed(section.line, f"expected {expected}")
    return parts[label].first(*kinds)


def _cause(number: int, text: str, line: int) -> Cause:
    slug = _slug(text.split("(")[0])
    if not slug:
        raise Malformed(line, f"expected a cause such as 'Storage full', got '{text}'")
    return Cause(number, text, slug)


def _branch(group: Group) -> Branch:
    if not group.blocks:
        raise Malformed(group.line, f"expected a code block or list after '**{group.bold}**'")
    commands: list[Command] = []
    notes: list[str] = []
    for node in group.blocks:
        if node.type in ("fence", "code_block"):
            more_commands, more_notes = _commands(node)
            commands += more_commands
            notes += more_notes
        elif node.type == "paragraph":
            notes.append(node.children[0].content)
        else:
            notes += [text for text, _ in items(node)]
    condition = re.fullmatch(r"If\s+(.+)", group.title)
    return Branch(
        title=group.title,
        condition=condition[1] if condition else None,
        commands=tuple(commands),
        notes=tuple(notes),
        line=group.line,
    )


def _commands(code: SyntaxTreeNode) -> tuple[tuple[Command, ...], tuple[str, ...]]:
    """The commands in a code block, and the comments that no command follows.

    Such a comment is advice for a person ("# Edit task definition, increase CPU/Memory"),
    so it is kept as a note rather than dropped.
    """
    commands: list[Command] = []
    notes: list[str] = []
    comments: list[str] = []
    lines: list[str] = []
    for raw in code.content.splitlines():
        stripped = raw.strip()
        if not lines and stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
        elif not lines and not stripped:
            notes += comments
            comments = []
        else:
            lines.append(raw)
        if lines and not raw.rstrip().endswith("\\"):
            commands.append(Command(" ".join(comments), "\n".join(lines)))
            comments, lines = [], []
    if lines:
        commands.append(Command(" ".join(comments), "\n".join(lines)))
    return tuple(commands), tuple(notes + comments)


def _procedure(section: Outline) -> Procedure:
    groups = section.groups("Option 1: Via ECS (fastest)")
    options = tuple(_branch(group) for group in groups if group.blocks)
    if not options:
        example = "'**Option 1: Via ECS**' followed by a code block"
        raise Malformed(section.line, f"expected an option such as {example} in '{section.title}'")
    return Procedure(section.title, options, tuple(g.title for g in groups if not g.blocks))


def _escalation(section: Outline) -> tuple[EscalationLevel, ...]:
    levels: list[EscalationLevel] = []
    for sub in section.subsections("Level 1: On-Call Engineer (0-15 min)"):
        heading = _ESCALATION.fullmatch(sub.title)
        if not heading:
            expected = "an escalation heading such as 'Level 2: DevOps Lead (15-30 min)'"
            raise Malformed(sub.line, f"expected {expected}, got '{sub.title}'")
        span = _SPAN.fullmatch(heading["span"])
        if not span:
            raise Malformed(
                sub.line,
                f"cannot read the minute range '({heading['span']})' in escalation heading "
                f"'{sub.title}'; expected e.g. '(15-30 min)' or '(>60 min)'",
            )
        start = int(span["start"] or span["after"])
        end = int(span["end"]) if span["end"] else None
        follows = levels[-1].end_minute if levels else 0
        if follows is None or start != follows or (end is not None and end <= start):
            expected = (
                f"level {heading['level']}'s range to start at minute {follows} and end after it"
                if follows is not None
                else f"no level after the open-ended level {levels[-1].level}"
            )
            raise Malformed(sub.line, f"expected {expected}, got '({span[0]})'")
        duties = next((items(node) for node in sub.blocks if node.type == "bullet_list"), [])
        duty_texts = tuple(text for text, _ in duties)
        levels.append(
            EscalationLevel(int(heading["level"]), heading["role"], start, end, duty_texts)
        )
    return tuple(levels)


def _templates(section: Outline) -> tuple[Template, ...]:
    templates: dict[str, Template] = {}
    for sub in section.subsections("Internal (Slack)"):
        for group in sub.groups("Incident Start:"):
            code = group.first("fence")
            if group.title in templates:
                raise Malformed(group.line, f"duplicate template name '{group.title}'")
            templates[group.title] = Template(sub.title, group.title, code.content.rstrip("\n"))
    return tuple(templates.values())


def _post_incident(section: Outline) -> dict[str, tuple[str, ...]]:
    steps: dict[str, tuple[str, ...]] = {}
    for sub in section.subsections("Immediate (Within 1 hour)"):
        titles: list[str] = []
        for text, line in (item for node in sub.blocks for item in items(node)):
            title = BOLD.fullmatch(text)
            if not title:
                expected = "a bold step title such as '**Gather data**'"
                raise Malformed(line, f"expected {expected}, got '{text}'")
            titles.append(title[1])
        steps[sub.title] = tuple(titles)
    return steps


def _maintenance(section: Outline) -> Maintenance:
    return Maintenance(
        review=section.field("Review")[0],
        owner=section.field("Owner")[0],
        last_review=_date_field(section, "Last Review"),
        next_review=_date_field(section, "Next Review"),
    )


def _date_field(section: Outline, name: str) -> date:
    text, line = section.field(name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        expected = f"an ISO date (YYYY-MM-DD) after '**{name}:**'"
        raise Malformed(line, f"expected {expected}, got '{text}'") from None


def _links(section: Outline) -> dict[str, str]:
    links = {name: value for name, (value, _) in section.fields().items()}
    if not links:
        raise Malformed(section.line, f"expected '- **Name:** URL' items in '{section.heading}'")
    return links


def _backticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _split_outside_parentheses(text: str) -> tuple[str, ...]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return tuple(part.strip() for part in parts if part.strip())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading, so reports can link into the rendered runbook."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
