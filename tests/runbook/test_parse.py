"""The parser: what it ignores, and the line and expectation it names for broken edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscheck.runbook import RunbookError, load, parse
from tests.runbook.helpers import TEXT, line_of


def test_unknown_sections_are_ignored() -> None:
    extra = "## Glossary\n\nWords we use.\n\n### ALB\n- Application Load Balancer\n\n"
    edited = TEXT.replace("## Escalation Path\n", extra + "## Escalation Path\n")
    assert parse(edited).scenarios == parse(TEXT).scenarios


def test_error_format() -> None:
    error = RunbookError("runbook.md", 12, "expected a list")
    assert (error.path, error.line, error.message) == ("runbook.md", 12, "expected a list")
    assert str(error) == "runbook.md:12: expected a list"
    assert isinstance(error, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    with pytest.raises(RunbookError, match="file not found") as raised:
        load(missing)
    assert (raised.value.path, raised.value.line) == (str(missing), 0)


def test_load_reports_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "runbook.md"
    broken.write_text(TEXT.replace("### 2. High Error Rate (P1)", "### 2. High Error Rate"))
    with pytest.raises(RunbookError) as raised:
        load(broken)
    assert str(raised.value).startswith(f"{broken}:{line_of(TEXT, '### 2. High Error Rate')}: ")


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_text(text: str) -> None:
    with pytest.raises(RunbookError, match="empty") as raised:
        parse(text, "empty.md")
    assert raised.value.line == 1


BROKEN = [
    pytest.param(
        "## Incident Severity Levels",
        "## Severity Levels",
        1,
        "expected a '## Incident Severity Levels' section",
        id="no-severity-section",
    ),
    pytest.param(
        "### P0 - Critical (Immediate Response)",
        "### P5 - Weird",
        "### P5 - Weird",
        "unknown severity level 'P5'",
        id="unknown-severity-level",
    ),
    pytest.param(
        "### P2 - Medium (2 hours)",
        "### Medium",
        "### Medium",
        "expected a severity heading such as 'P0 - Critical (Immediate Response)', got 'Medium'",
        id="severity-heading-without-level",
    ),
    pytest.param(
        "### P3 - Low (24 hours)",
        "### P2 - Low (24 hours)",
        "### P2 - Low (24 hours)",
        "duplicate severity level 'P2'",
        id="duplicate-severity-level",
    ),
    pytest.param(
        "- **Response Time:** < 30 minutes\n",
        "",
        "### P1 - High",
        "expected a '**Response Time:**' line in '### P1 - High (30 minutes)'",
        id="missing-response-time",
    ),
    pytest.param(
        "- **Response Time:** < 2 hours",
        "- **Response Time:** whenever",
        "- **Response Time:** whenever",
        "expected a response time such as '< 30 minutes' or 'Immediate (< 5 minutes)', "
        "got 'whenever'",
        id="unreadable-response-time",
    ),
    pytest.param(
        "### 2. High Error Rate (P1)",
        "### 2. High Error Rate",
        "### 2. High Error Rate",
        "expected a severity such as '(P1)' at the end of scenario heading '2. High Error Rate'",
        id="scenario-without-severity",
    ),
    pytest.param(
        "### 4. Slow Performance (P2)",
        "### 4. Slow Performance (P7)",
        "### 4. Slow Performance (P7)",
        "severity 'P7' is not a defined level (P0, P1, P2, P3)",
        id="scenario-with-undefined-severity",
    ),
    pytest.param(
        "### 5. Deployment Failed (P1)",
        "### Deployment Failed (P1)",
        "### Deployment Failed (P1)",
        "expected a numbered scenario heading",
        id="scenario-without-number",
    ),
    pytest.param(
        "**Common Causes:**\n1. RDS instance rebooting (maintenance window)\n2. Storage full\n"
        "3. Too many connections\n4. AWS outage\n\n",
        "",
        "### 3. Database Unavailable",
        "expected a '**Common Causes:**' numbered list in '### 3. Database Unavailable (P0)'",
        id="no-common-causes",
    ),
    pytest.param(
        "1. Unoptimized database query\n2. External API slow\n",
        "- Unoptimized database query\n- External API slow\n",
        "**Common Causes:**\n- Unoptimized",
        "expected a numbered list after '**Common Causes:**'",
        id="common-causes-not-numbered",
    ),
    pytest.param(
        "**Diagnosis:**\n```bash\n# Check failed workflow",
        "```bash\n# Check failed workflow",
        "### 5. Deployment Failed",
        "expected a '**Diagnosis:**' code block in '### 5. Deployment Failed (P1)'",
        id="no-diagnosis",
    ),
    pytest.param(
        "**Diagnosis:**\n```bash\n# Check failed workflow",
        "**Diagnosis:**\n\nAsk around.\n\n```bash\n# Check failed workflow",
        "**Diagnosis:**\n\nAsk around.",
        "expected a code block after '**Diagnosis:**'",
        id="diagnosis-without-code-block",
    ),
    pytest.param(
        "### 3. Database Unavailable (P0)",
        "### 2. Database Unavailable (P0)",
        "### 2. Database Unavailable (P0)",
        "duplicate scenario number '2'",
        id="duplicate-scenario-number",
    ),
    pytest.param(
        "### 4. Slow Performance (P2)",
        "### 4. High Error Rate (P2)",
        "### 4. High Error Rate (P2)",
        "duplicate scenario slug 'high-error-rate'",
        id="duplicate-scenario-slug",
    ),
    pytest.param(
        "### 1. All ECS Tasks Down (P0)\n\n**Symptoms:**",
        "### 1. All ECS Tasks Down (P0)\n\nIt happens.\n\n**Symptoms:**",
        "It happens.",
        "expected a bold line such as '**Symptoms:**' before this paragraph",
        id="prose-before-first-label",
    ),
    pytest.param(
        "**If resource constraints:**\n",
        "**If resource constraints:**\n\n**If something else:**\n",
        "**If resource constraints:**",
        "expected a code block or list after '**If resource constraints:**'",
        id="branch-without-content",
    ),
    pytest.param(
        "### Level 2: DevOps Lead (15-30 min)",
        "### Level 2: DevOps Lead (soon)",
        "### Level 2: DevOps Lead (soon)",
        "cannot read the minute range '(soon)'",
        id="unreadable-escalation-range",
    ),
    pytest.param(
        "### Level 3: Engineering Lead (30-60 min)",
        "### Level 3: Engineering Lead (35-60 min)",
        "### Level 3: Engineering Lead (35-60 min)",
        "expected level 3's range to start at minute 30",
        id="escalation-gap",
    ),
    pytest.param(
        "### Level 1: On-Call Engineer (0-15 min)",
        "### On-Call Engineer",
        "### On-Call Engineer",
        "expected an escalation heading such as",
        id="escalation-heading-without-level",
    ),
    pytest.param(
        "**Next Review:** 2025-12-01",
        "**Next Review:** December",
        "**Next Review:** December",
        "expected an ISO date (YYYY-MM-DD) after '**Next Review:**', got 'December'",
        id="next-review-not-a-date",
    ),
    pytest.param(
        "## Runbook Maintenance",
        "## Maintenance",
        1,
        "expected a '## Runbook Maintenance' section",
        id="no-maintenance-section",
    ),
    pytest.param(
        "**Version:** 1.0.0\n**On-Call:**",
        "**On-Call:**",
        1,
        "expected a '**Version:**' line in '# Incident Response Runbook'",
        id="no-version",
    ),
    pytest.param(
        "# Incident Response Runbook\n",
        "",
        1,
        "expected a '# ' title heading",
        id="no-title",
    ),
    pytest.param(
        "### Critical Links",
        "### Links",
        "## Quick Reference",
        "expected a '### Critical Links' section under '## Quick Reference'",
        id="no-critical-links",
    ),
    pytest.param(
        "**Update:**\n",
        "**Update:**\n\n**Other:**\n",
        "**Update:**",
        "expected a code block after '**Update:**'",
        id="template-without-code-block",
    ),
    pytest.param(
        "**Identified:**",
        "**Investigating:**",
        "**Investigating:**\n```\nWe have identified",
        "duplicate template name 'Investigating'",
        id="duplicate-template-name",
    ),
    pytest.param(
        "1. **Schedule post-mortem**",
        "1. Schedule post-mortem",
        "1. Schedule post-mortem",
        "expected a bold step title such as '**Gather data**', got 'Schedule post-mortem'",
        id="post-incident-step-without-title",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "phrase"), BROKEN)
def test_broken_runbook(old: str, new: str, line: int | str, phrase: str) -> None:
    assert TEXT.count(old) == 1, f"{old!r} is not unique in the runbook"
    broken = TEXT.replace(old, new)
    with pytest.raises(RunbookError) as raised:
        parse(broken, "broken.md")
    error = raised.value
    assert phrase in error.message
    assert error.line == (line if isinstance(line, int) else line_of(broken, line))
    assert str(error) == f"broken.md:{error.line}: {error.message}"


def test_deleting_a_heading_or_bold_line_never_crashes_the_parser() -> None:
    lines = TEXT.split("\n")
    for i, line in enumerate(lines):
        if not line.startswith(("#", "**")):
            continue
        try:
            parse("\n".join(lines[:i] + lines[i + 1 :]))
        except RunbookError:
            pass
        except Exception as error:
            pytest.fail(f"deleting line {i + 1} ({line!r}) raised {error!r}")
