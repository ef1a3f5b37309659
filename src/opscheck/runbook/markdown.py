"""The runbook's Markdown as an outline: headings, the blocks under them, bold-titled groups.

This is the part of the parser that knows Markdown and nothing of incidents; `parse`
reads severities, scenarios and the rest out of the outline. A shape it does not find
raises `Malformed` with the 1-based line, which the parser turns into a `RunbookError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

BOLD = re.compile(r"\*\*([^*\n]+)\*\*")
_FIELD = re.compile(r"\*\*(?P<name>[^*]+?):\*\*\s*(?P<value>.*)")


class Malformed(Exception):
    """(line, message) from helpers, which do not know the path; parse() adds it."""


@dataclass
class Outline:
    """A heading and the blocks up to the next heading; `##` sections hold `###` ones."""

    title: str
    line: int
    depth: int
    blocks: list[SyntaxTreeNode] = field(default_factory=list)
    children: list[Outline] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{'#' * self.depth} {self.title}"

    def child(self, title: str) -> Outline:
        for child in self.children:
            if child.title == title:
                return child
        where = f" under '{self.heading}'" if self.depth > 1 else ""
        raise Malformed(self.line, f"expected a '{'#' * (self.depth + 1)} {title}' section{where}")

    def subsections(self, example: str) -> list[Outline]:
        if not self.children:
            raise Malformed(self.line, f"expected '### {example}' sections in '{self.heading}'")
        return self.children

    def groups(self, example: str) -> list[Group]:
        groups: list[Group] = []
        for node in self.blocks:
            bold = BOLD.fullmatch(node.children[0].content) if node.type == "paragraph" else None
            if bold:
                groups.append(Group(bold[1], line_of(node), []))
            elif groups:
                groups[-1].blocks.append(node)
            else:
                expected = f"a bold line such as '**{example}**' before this {kind_name(node.type)}"
                raise Malformed(line_of(node), f"expected {expected} in '{self.heading}'")
        return groups

    def fields(self) -> dict[str, tuple[str, int]]:
        """`**Name:** value` lines of a section's paragraphs and list items, with their lines."""
        fields: dict[str, tuple[str, int]] = {}
        for node in self.blocks:
            if node.type == "paragraph":
                paragraph = node.children[0].content.split("\n")
                lines = [(text, line_of(node) + offset) for offset, text in enumerate(paragraph)]
            else:
                lines = items(node)
            for text, line in lines:
                if match := _FIELD.fullmatch(text):
                    fields.setdefault(match["name"], (match["value"], line))
        return fields

    def field(self, name: str) -> tuple[str, int]:
        fields = self.fields()
        if name not in fields:
            raise Malformed(self.line, f"expected a '**{name}:**' line in '{self.heading}'")
        return fields[name]


@dataclass
class Group:
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
            raise Malformed(self.line, f"expected a {kind_name(kinds[0])} after '**{self.bold}**'")
        return self.blocks[0]


def outline(text: str) -> Outline:
    root = current = Outline("", 1, 1)
    for node in SyntaxTreeNode(MarkdownIt().parse(text)).children:
        if node.type == "hr":
            continue
        if node.type != "heading":
            current.blocks.append(node)
        elif node.tag == "h1" and not root.title:
            root.title, root.line, current = node.children[0].content, line_of(node), root
        else:
            nested = node.tag not in ("h1", "h2") and root.children
            parent = root.children[-1] if nested else root
            current = Outline(node.children[0].content, line_of(node), parent.depth + 1)
            parent.children.append(current)
    return root


def items(node: SyntaxTreeNode | None) -> list[tuple[str, int]]:
    """A list's items as (text as written, line), leaving out nested lists.

    An item written "- >100 errors" is a quote to markdown; the ">" is put back, since
    the runbook means "more than".
    """
    if node is None or node.type not in ("bullet_list", "ordered_list"):
        return []
    found: list[tuple[str, int]] = []
    for item in node.children:
        first = item.children[0] if item.children else None
        prefix = ""
        if first is not None and first.type == "blockquote" and first.children:
            prefix, first = ">", first.children[0]
        text = first.children[0].content if first and first.type == "paragraph" else ""
        found.append((prefix + text, line_of(item)))
    return found


def kind_name(node_type: str) -> str:
    """What a block is called in a message: "code block", "numbered list", "paragraph"."""
    names = {"fence": "code block", "code_block": "code block", "ordered_list": "numbered list"}
    return names.get(node_type, node_type.replace("bullet_", "").replace("_", " "))


def line_of(node: SyntaxTreeNode) -> int:
    return node.map[0] + 1 if node.map else 0
