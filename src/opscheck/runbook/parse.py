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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

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

_LEVELS = ("P0", "P1", "P2", "P3")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_FIELD = re.compile(r"\*\*(?P<name>[^*]+?):\*\*\s*(?P<value>.*)")
_SEVERITY = re.compile(r"(?P<level>P\d+)\s+-\s+(?P<name>[^(]+?)(?:\s*\(.*\))?")
_RESPONSE = re.compile(r"<\s*(?P<n>\d+)\s+(?P<unit>minute|hour)s?")
_SCENARIO = re.compile(r"(?P<number>\d+)\.\s+(?P<rest>.+)")
_SCENARIO_LEVEL = re.compile(r"(?P<title>.+?)\s*\((?P<level>P\d+)\)")
_ESCALATION = re.compile(r"Level\s+(?P<level>\d+):\s*(?P<role>.+?)\s*\((?P<span>[^()]*)\)")
_SPAN = re.compile(r"(?P<start>\d+)\s*-\s*(?P<end>\d+)\s*min|>\s*(?P<after>\d+)\s*min")


class RunbookError(ValueError):
    """The runbook is not shaped as expected.

    Carries the path and 1-based line so an editor can jump straight to the problem;
    line 0 means the file as a whole.
    """

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


class _Malformed(Exception):
    """(line, message) from helpers, which do not know the path; parse() adds it."""


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
    except _Malformed as error:
        raise RunbookError(path, *error.args) from None


@dataclass
class _Section:
    """A heading and the blocks up to the next heading; `##` sections hold `###` ones."""

    title: str
    line: int
    depth: int
    blocks: list[SyntaxTreeNode] = field(default_factory=list)
    children: list[_Section] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{'#' * self.depth} {self.title}"

    def child(self, title: str) -> _Section:
        for child in self.children:
            if child.title == title:
                return child
        where = f" under '{self.heading}'" if self.depth > 1 else ""
        raise _Malformed(self.line, f"expected a '{'#' * (self.depth + 1)} {title}' section{where}")

    def subsections(self, example: str) -> list[_Section]:
        if not self.children:
            raise _Malformed(self.line, f"expected '### {example}' sections in '{self.heading}'")
        return self.children


@dataclass
class _Group:
    """A paragraph that is only bold text, such as "**Diagnosis:**", and the blocks after it."""

    bold: str
    line: int
    blocks: list[SyntaxTreeNode]

    @property
    def title(self) -> str:
        return self.bold.removesuffix(":").strip()

    def first(self, *kinds: str) -> SyntaxTreeNode:
        """The block right under the bold line; anything else there means a broken edit."""
        if not self.blocks or self.blocks[0].type not in kinds:
            raise _Malformed(self.line, f"expected a {_kind(kinds[0])} after '**{self.bold}**'")
        return self.blocks[0]


def _runbook(text: str, path: str) -> Runbook:
    if not text.strip():
        raise _Malformed(1, "the runbook is empty")
    root = _outline(text)
    if not root.title:
        raise _Malformed(1, "expected a '# ' title heading such as '# Incident Response Runbook'")
    severities = _severities(root.child("Incident Severity Levels"))
    return Runbook(
        path=path,
        title=root.title,
        version=_field(root, "Version")[0],
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


def _section(section: _Section) -> Section:
    commands: list[Command] = []
    for part in (section, *section.children):
        for node in part.blocks:
            if node.type == "fence":
                commands += _commands(node)[0]
    return Section(section.title, _anchor(section.title), section.line, tuple(commands))


def _outline(text: str) -> _Section:
    root = current = _Section("", 1, 1)
    for node in SyntaxTreeNode(MarkdownIt().parse(text)).children:
        if node.type == "hr":
            continue
        if node.type != "heading":
            current.blocks.append(node)
        elif node.tag == "h1" and not root.title:
            root.title, root.line, current = node.children[0].content, _line(node), root
        else:
            nested = node.tag not in ("h1", "h2") and root.children
            parent = root.children[-1] if nested else root
            current = _Section(node.children[0].content, _line(node), parent.depth + 1)
            parent.children.append(current)
    return root


def _severities(section: _Section) -> dict[str, Severity]:
    severities: dict[str, Severity] = {}
    for sub in section.subsections("P0 - Critical (Immediate Response)"):
        heading = _SEVERITY.fullmatch(sub.title)
        if not heading:
            expected = "a severity heading such as 'P0 - Critical (Immediate Response)'"
            raise _Malformed(sub.line, f"expected {expected}, got '{sub.title}'")
        level = heading["level"]
        if level not in _LEVELS or level in severities:
            problem = "duplicate" if level in severities else "unknown"
            expected = ", ".join(_LEVELS)
            raise _Malformed(sub.line, f"{problem} severity level '{level}'; expected {expected}")
        response, response_line = _field(sub, "Response Time")
        severities[level] = Severity(
            level=level,
            name=heading["name"],
            definition=_field(sub, "Definition")[0],
            response_time=response,
            response_minutes=_response_minutes(response, response_line),
            examples=_split_outside_parentheses(_field(sub, "Examples")[0]),
        )
    return severities


def _response_minutes(text: str, line: int) -> int:
    immediate = re.fullmatch(r"Immediate \((.*)\)", text)
    match = _RESPONSE.fullmatch(immediate[1] if immediate else text)
    if not match:
        expected = "a response time such as '< 30 minutes' or 'Immediate (< 5 minutes)'"
        raise _Malformed(line, f"expected {expected}, got '{text}'")
    return int(match["n"]) * (60 if match["unit"] == "hour" else 1)


def _scenarios(section: _Section, severities: Mapping[str, Severity]) -> tuple[Scenario, ...]:
    scenarios: list[Scenario] = []
    for sub in section.subsections("1. All ECS Tasks Down (P0)"):
        scenario = _scenario(sub, severities)
        for what in ("number", "slug"):
            value = getattr(scenario, what)
            seen = next((seen for seen in scenarios if getattr(seen, what) == value), None)
            if seen is not None:
                problem = f"duplicate scenario {what} '{value}' (first on line {seen.line})"
                raise _Malformed(sub.line, problem)
        scenarios.append(scenario)
    return tuple(scenarios)


def _scenario(section: _Section, severities: Mapping[str, Severity]) -> Scenario:
    number, title, severity = _scenario_heading(section, severities)
    parts: dict[str, _Group] = {}
    branches: list[Branch] = []
    for group in _groups(section, "Symptoms:"):
        if group.title in ("Symptoms", "Diagnosis", "Common Causes", "Post-Incident"):
            parts.setdefault(group.title, group)
        elif group.title != "Resolution":
            branches.append(_branch(group))
    symptoms = _items(_part(section, parts, "Symptoms", "bullet_list", "ordered_list"))
    diagnosis, _ = _commands(_part(section, parts, "Diagnosis", "fence", "code_block"))
    if not diagnosis:
        raise _Malformed(parts["Diagnosis"].line, "expected a command in the diagnosis code block")
    causes = _items(_part(section, parts, "Common Causes", "ordered_list"))
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
        post_incident=tuple(text for text, _ in _items(post_incident)),
    )


def _scenario_heading(
    section: _Section, severities: Mapping[str, Severity]
) -> tuple[int, str, str]:
    numbered = _SCENARIO.fullmatch(section.title)
    if not numbered:
        expected = "a numbered scenario heading such as '1. All ECS Tasks Down (P0)'"
        raise _Malformed(section.line, f"expected {expected}, got '{section.title}'")
    heading = _SCENARIO_LEVEL.fullmatch(numbered["rest"])
    if not heading:
        raise _Malformed(
            section.line,
            f"expected a severity such as '(P1)' at the end of scenario heading '{section.title}'",
        )
    if heading["level"] not in severities:
        defined = ", ".join(severities)
        problem = f"severity '{heading['level']}' is not a defined level ({defined})"
        raise _Malformed(section.line, f"scenario '{section.title}': {problem}")
    return int(numbered["number"]), heading["title"], heading["level"]


def _part(section: _Section, parts: dict[str, _Group], label: str, *kinds: str) -> SyntaxTreeNode:
    if label not in parts:
        expected = f"a '**{label}:**' {_kind(kinds[0])} in '{section.heading}'"
        raise _Malformed(section.line, f"expected {expected}")
    return parts[label].first(*kinds)


def _cause(number: int, text: str, line: int) -> Cause:
    slug = _slug(text.split("(")[0])
    if not slug:
        raise _Malformed(line, f"expected a cause such as 'Storage full', got '{text}'")
    return Cause(number, text, slug)


def _branch(group: _Group) -> Branch:
    if not group.blocks:
        raise _Malformed(group.line, f"expected a code block or list after '**{group.bold}**'")
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
            notes += [text for text, _ in _items(node)]
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


def _procedure(section: _Section) -> Procedure:
    groups = _groups(section, "Option 1: Via ECS (fastest)")
    options = tuple(_branch(group) for group in groups if group.blocks)
    if not options:
        example = "'**Option 1: Via ECS**' followed by a code block"
        raise _Malformed(section.line, f"expected an option such as {example} in '{section.title}'")
    return Procedure(section.title, options, tuple(g.title for g in groups if not g.blocks))


def _escalation(section: _Section) -> tuple[EscalationLevel, ...]:
    levels: list[EscalationLevel] = []
    for sub in section.subsections("Level 1: On-Call Engineer (0-15 min)"):
        heading = _ESCALATION.fullmatch(sub.title)
        if not heading:
            expected = "an escalation heading such as 'Level 2: DevOps Lead (15-30 min)'"
            raise _Malformed(sub.line, f"expected {expected}, got '{sub.title}'")
        span = _SPAN.fullmatch(heading["span"])
        if not span:
            raise _Malformed(
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
            raise _Malformed(sub.line, f"expected {expected}, got '({span[0]})'")
        duties = next((_items(node) for node in sub.blocks if node.type == "bullet_list"), [])
        duty_texts = tuple(text for text, _ in duties)
        levels.append(
            EscalationLevel(int(heading["level"]), heading["role"], start, end, duty_texts)
        )
    return tuple(levels)


def _templates(section: _Section) -> tuple[Template, ...]:
    templates: dict[str, Template] = {}
    for sub in section.subsections("Internal (Slack)"):
        for group in _groups(sub, "Incident Start:"):
            code = group.first("fence")
            if group.title in templates:
                raise _Malformed(group.line, f"duplicate template name '{group.title}'")
            templates[group.title] = Template(sub.title, group.title, code.content.rstrip("\n"))
    return tuple(templates.values())


def _post_incident(section: _Section) -> dict[str, tuple[str, ...]]:
    steps: dict[str, tuple[str, ...]] = {}
    for sub in section.subsections("Immediate (Within 1 hour)"):
        titles: list[str] = []
        for text, line in (item for node in sub.blocks for item in _items(node)):
            title = _BOLD.fullmatch(text)
            if not title:
                expected = "a bold step title such as '**Gather data**'"
                raise _Malformed(line, f"expected {expected}, got '{text}'")
            titles.append(title[1])
        steps[sub.title] = tuple(titles)
    return steps


def _maintenance(section: _Section) -> Maintenance:
    return Maintenance(
        review=_field(section, "Review")[0],
        owner=_field(section, "Owner")[0],
        last_review=_date_field(section, "Last Review"),
        next_review=_date_field(section, "Next Review"),
    )


def _date_field(section: _Section, name: str) -> date:
    text, line = _field(section, name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        expected = f"an ISO date (YYYY-MM-DD) after '**{name}:**'"
        raise _Malformed(line, f"expected {expected}, got '{text}'") from None


def _links(section: _Section) -> dict[str, str]:
    links = {name: value for name, (value, _) in _fields(section).items()}
    if not links:
        raise _Malformed(section.line, f"expected '- **Name:** URL' items in '{section.heading}'")
    return links


def _groups(section: _Section, example: str) -> list[_Group]:
    groups: list[_Group] = []
    for node in section.blocks:
        bold = _BOLD.fullmatch(node.children[0].content) if node.type == "paragraph" else None
        if bold:
            groups.append(_Group(bold[1], _line(node), []))
        elif groups:
            groups[-1].blocks.append(node)
        else:
            expected = f"a bold line such as '**{example}**' before this {_kind(node.type)}"
            raise _Malformed(_line(node), f"expected {expected} in '{section.heading}'")
    return groups


def _fields(section: _Section) -> dict[str, tuple[str, int]]:
    """`**Name:** value` lines of a section's paragraphs and list items, with their lines."""
    fields: dict[str, tuple[str, int]] = {}
    for node in section.blocks:
        if node.type == "paragraph":
            paragraph = node.children[0].content.split("\n")
            lines = [(text, _line(node) + offset) for offset, text in enumerate(paragraph)]
        else:
            lines = _items(node)
        for text, line in lines:
            if match := _FIELD.fullmatch(text):
                fields.setdefault(match["name"], (match["value"], line))
    return fields


def _field(section: _Section, name: str) -> tuple[str, int]:
    fields = _fields(section)
    if name not in fields:
        raise _Malformed(section.line, f"expected a '**{name}:**' line in '{section.heading}'")
    return fields[name]


def _items(node: SyntaxTreeNode | None) -> list[tuple[str, int]]:
    """A list's items as (text as written, line), leaving out nested lists.

    An item written "- >100 errors" is a quote to markdown; the ">" is put back, since
    the runbook means "more than".
    """
    if node is None or node.type not in ("bullet_list", "ordered_list"):
        return []
    items: list[tuple[str, int]] = []
    for item in node.children:
        first = item.children[0] if item.children else None
        prefix = ""
        if first is not None and first.type == "blockquote" and first.children:
            prefix, first = ">", first.children[0]
        text = first.children[0].content if first and first.type == "paragraph" else ""
        items.append((prefix + text, _line(item)))
    return items


def _kind(node_type: str) -> str:
    names = {"fence": "code block", "code_block": "code block", "ordered_list": "numbered list"}
    return names.get(node_type, node_type.replace("bullet_", "").replace("_", " "))


def _line(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0


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
