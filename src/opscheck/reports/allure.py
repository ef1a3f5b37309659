"""Allure results: one per check, labelled from the runbook, with the evidence it read.

allure-pytest writes the results; this module only labels the checks at collection (so
`--allure-severities` and `--allure-features` select on them), and writes the run-wide
files once, from the main process: environment.properties, executor.json, categories.json
(Allure 2) and, beside the results, allurerc.json (Allure 3's categories per section).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import allure
import allure_commons
import pytest

from opscheck.mapping import Mapping
from opscheck.redact import redact_json
from opscheck.reports import RunContext
from opscheck.reports.markdown import runbook_link
from opscheck.runbook import Runbook, Scenario
from opscheck.target import Target

SEVERITY = {
    "P0": allure.severity_level.BLOCKER,
    "P1": allure.severity_level.CRITICAL,
    "P2": allure.severity_level.NORMAL,
    "P3": allure.severity_level.MINOR,
}


def runs(config: pytest.Config) -> bool:
    """Whether allure-pytest is part of this run (a team may turn it off: -p no:allure_pytest)."""
    return config.pluginmanager.has_plugin("allure_pytest")


def label(item: pytest.Item, found: Mapping, runbook: Runbook, target: Target) -> None:
    """Severity, epic (environment), feature (section), story (cause), response time, link."""
    place = runbook.place(found.section)
    feature, anchor = place.name, place.anchor
    if isinstance(place, Scenario):
        story = place.cause(found.cause).text if found.cause else "symptom"
    else:
        story = found.kind
    first = runbook.escalation[0]
    for marker in (
        allure.severity(SEVERITY[found.severity]),
        allure.epic(target.name),
        allure.feature(feature),
        allure.story(story),
        allure.label("response_time", runbook.severities[found.severity].response_time),
        allure.label("escalation", f"L{first.level} {first.role} ({first.span})"),
    ):
        item.add_marker(marker)
    item.add_marker(allure.link(runbook_link(runbook, anchor), name=f"runbook: {feature}"))


def attach(name: str, value: Any) -> None:
    """Attach a piece of evidence to the running check's result, redacted."""
    if not allure_commons.plugin_manager.get_plugins():
        return  # allure-pytest is off (`-p no:allure_pytest`): nothing would keep it
    body = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    allure.attach(
        json.dumps(redact_json(body), indent=2),
        name=f"evidence: {name}",
        attachment_type=allure.attachment_type.JSON,
    )


def write_files(results: Path, folder: Path, run: RunContext) -> None:
    """Write Allure 2's run files into its results and Allure 3's allurerc.json into folder."""
    write_run_files(results, run)
    (folder / "allurerc.json").write_text(
        json.dumps(allurerc(run.runbook), indent=2), encoding="utf-8"
    )


def write_run_files(folder: Path, run: RunContext) -> None:
    """environment.properties, executor.json and categories.json for the report."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = {
        "target": run.target.name,
        "region": run.target.aws.region,
        "simulated": str(run.target.simulated).lower(),
        "account": run.account or "unknown",
        "runbook": f"{run.runbook.path} v{run.runbook.version}",
        "faults": ",".join(run.faults) or "none",
    }
    (folder / "environment.properties").write_text(
        "".join(f"{k}={v}\n" for k, v in environment.items()), encoding="utf-8"
    )
    executor = {"name": "opscheck", "type": "local", "buildName": f"opscheck on {run.target.name}"}
    env = os.environ
    if env.get("GITHUB_ACTIONS") == "true":
        url = f"{env.get('GITHUB_SERVER_URL')}/{env.get('GITHUB_REPOSITORY')}"
        executor |= {
            "type": "github",
            "buildUrl": f"{url}/actions/runs/{env.get('GITHUB_RUN_ID')}",
            "buildName": f"{env.get('GITHUB_WORKFLOW')} #{env.get('GITHUB_RUN_NUMBER')}",
        }
    (folder / "executor.json").write_text(json.dumps(executor, indent=2), encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps(categories(), indent=2), encoding="utf-8")


def allurerc(runbook: Runbook) -> dict[str, Any]:
    """Allure 3's configuration: a category per runbook section, matched on its feature label.

    Allure 3 reads categories from its configuration, not from the results folder;
    `npm run report` passes this file with --config.
    """
    titles = [f"{s.number}. {s.title}" for s in runbook.scenarios]
    titles += [s.title for s in runbook.sections]
    rules: list[dict[str, Any]] = [
        {"name": title, "matchers": {"statuses": ["failed"], "labels": {"feature": title}}}
        for title in titles
    ]
    rules.append({"name": "inconclusive: could not verify", **categories()[0]})
    return {"name": f"opscheck: {runbook.title}", "categories": {"rules": rules}}


def categories() -> list[dict[str, Any]]:
    """Categories by what a result means: a finding, a check that could not look, a bug.

    Allure matches categories on status and message, not on labels; the runbook's sections
    are the report's features, its severities the results' severities.
    """
    return [
        {
            "name": "inconclusive: could not verify",
            "matchedStatuses": ["broken"],
            "traceRegex": ".*Inconclusive.*",
        },
        {
            "name": "runbook findings (failed checks)",
            "matchedStatuses": ["failed"],
        },
        {
            "name": "broken checks (a bug in a check, not a finding)",
            "matchedStatuses": ["broken"],
        },
    ]
