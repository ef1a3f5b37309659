"""JUnit XML as CI test reporters read it: opscheck's verdict where they look for one.

pytest's `--junitxml` writes every check; GitHub, GitLab and Jenkins reporters show a
failure's `message` and count `<error>` apart from `<failure>`. After pytest has written
the file, each check's element is made to say what opscheck concluded: a failure's message
leads with its severity, runbook section and cause; an inconclusive check is an error (it
could not look: not a pass, and not a finding about the service); a check of something the
environment leaves out is skipped, saying so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from opscheck.findings import Finding
from opscheck.reports import cause_of, title_of
from opscheck.runbook import Runbook

OUTCOMES = ("failure", "error", "skipped")


def rewrite(path: Path, findings: list[Finding], runbook: Runbook) -> None:
    """Rewrite the JUnit file at `path` in place; OSError and ParseError are the caller's."""
    tree = ET.parse(path)
    by_case = {_case_id(f.nodeid): f for f in findings}
    for suite in tree.iter("testsuite"):
        for case in suite.iter("testcase"):
            finding = by_case.get((case.get("classname", ""), case.get("name", "")))
            if finding is not None and finding.outcome != "passed":
                _mark(case, finding, runbook)
        for outcome, attribute in (("failure", "failures"), ("error", "errors")):
            suite.set(attribute, str(sum(1 for _ in suite.iter(outcome))))
        suite.set("skipped", str(sum(1 for _ in suite.iter("skipped"))))
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _case_id(nodeid: str) -> tuple[str, str]:
    """What pytest's junitxml names a check: (dotted module path, test name)."""
    module, _, name = nodeid.partition("::")
    return module.removesuffix(".py").replace("/", "."), name.replace("::", ".")


def _mark(case: ET.Element, finding: Finding, runbook: Runbook) -> None:
    where = f"{finding.severity} {title_of(runbook, finding)}"
    cause = cause_of(runbook, finding)
    if finding.outcome == "failed":
        tag = "failure"
        message = f"{where}" + (f" (cause: {cause})" if cause else "") + f": {finding.message}"
    elif finding.outcome == "inconclusive":
        tag = "error"
        message = f"INCONCLUSIVE {where}: {finding.message}"
    else:
        tag = "skipped"
        message = f"not configured: {finding.message}"
    old = next((child for child in case if child.tag in OUTCOMES), None)
    element = ET.Element(tag, message=" ".join(message.split()))
    element.text = old.text if old is not None else finding.message
    if old is not None:
        case.remove(old)
    case.append(element)
