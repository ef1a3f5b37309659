"""The pytest plugin: options, markers, the evidence pass, inconclusive outcomes, the summary.

Registered as the `opscheck` pytest11 entry point. Hooks stay thin; the work is done in
`run` (runbook, target, simulator, evidence), `mapping` (check -> runbook) and
`reports.terminal` (the summary).
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from opscheck import findings as findings_module
from opscheck import mapping
from opscheck.evidence import SOURCES, Evidence, EvidenceFileError, Unavailable
from opscheck.evidence.collect import now
from opscheck.outcomes import Failure, Inconclusive
from opscheck.redact import redact
from opscheck.reports import RunContext
from opscheck.reports import allure as allure_reports
from opscheck.reports.publish import publish
from opscheck.run import CATALOG, CHECKS, RUNBOOK, Run
from opscheck.runbook import Runbook, RunbookError
from opscheck.simulator import SimulatorError
from opscheck.simulator.catalog import CatalogError
from opscheck.simulator.catalog import load as load_catalog
from opscheck.simulator.catalog import select as select_faults
from opscheck.target import TargetError

RUN = pytest.StashKey[Run]()
MAPPING = pytest.StashKey[mapping.Mapping]()
COVERAGE = pytest.StashKey[dict[str, tuple[str, ...]]]()
PATH_OPTIONS = ("--env", "--evidence", "--save-evidence", "--report-dir")


def incident_start(value: str) -> datetime:
    """Parse --incident-start: ISO 8601 (UTC when no zone is given) or HH:MM today in UTC."""
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", value):
            hours, minutes = map(int, value.split(":"))
            today = datetime.now(UTC).replace(hour=hours, minute=minutes, second=0, microsecond=0)
            return today if today <= datetime.now(UTC) else today - timedelta(days=1)
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a time such as 2026-11-26T14:05Z or 14:05 (UTC), got {value!r}"
        ) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("opscheck", "runbook checks against AWS")
    group.addoption(
        "--env",
        dest="opscheck_env",
        metavar="NAME",
        help="environment to check: a name in environments/ or a path to a .toml file "
        "(default: the opscheck_env ini value)",
    )
    group.addoption(
        "--simulate",
        dest="opscheck_simulate",
        metavar="FAULT[,FAULT...]",
        help="stage faults in the simulated production; 'list' prints the fault catalog",
    )
    group.addoption(
        "--save-evidence",
        dest="opscheck_save",
        metavar="PATH",
        type=Path,
        help="write the evidence the checks looked at as JSON",
    )
    group.addoption(
        "--report-dir",
        dest="opscheck_report_dir",
        metavar="DIR",
        type=Path,
        help="where summary.json, summary.md and incident.md are written (default: reports/)",
    )
    group.addoption(
        "--incident-start",
        dest="opscheck_incident_start",
        metavar="TIME",
        type=incident_start,
        help="when the incident began (ISO 8601, or HH:MM UTC today): the summary says which "
        "escalation level of the runbook to engage now",
    )
    group.addoption(
        "--fail-on",
        dest="opscheck_fail_on",
        metavar="SEVERITY",
        choices=("p0", "p1", "p2", "p3"),
        default="p3",
        help="the least severe failure that fails the run (default p3: every failure); "
        "inconclusive checks always fail it; less severe failures are reported as warnings",
    )
    group.addoption(
        "--evidence",
        dest="opscheck_replay",
        metavar="PATH",
        type=Path,
        help="check saved evidence (from --save-evidence) instead of reading AWS: no network",
    )
    parser.addini(
        "opscheck_env", "environment checked when --env is not given", default="simulated"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.getoption("opscheck_simulate") != "list":
        return None
    try:
        catalog = load_catalog(config.rootpath / CATALOG)
    except CatalogError as error:
        raise pytest.UsageError(str(error)) from None
    width = max(map(len, catalog))
    for fault in catalog.values():
        staged = fault.scenario + (f" / cause {fault.cause}" if fault.cause else " (symptom only)")
        print(f"{fault.name:<{width}}  {staged}\n{'':<{width}}  {fault.summary}")
    return 0


def _is_for_opscheck(config: pytest.Config) -> bool:
    """Whether this run is opscheck's: in a project with a runbook, or given an opscheck option.

    Installed, the plugin is loaded by every pytest run in the environment; elsewhere it
    stays out of the way.
    """
    given = any(config.getoption(dest) for dest in OPTIONS_NAMING_A_RUN)
    return given or (config.rootpath / RUNBOOK).exists()


OPTIONS_NAMING_A_RUN = (
    "opscheck_env",
    "opscheck_simulate",
    "opscheck_save",
    "opscheck_replay",
    "opscheck_incident_start",
    "opscheck_report_dir",
)


@pytest.hookimpl(tryfirst=True)  # before allure-pytest reads --alluredir
def pytest_configure(config: pytest.Config) -> None:
    if not _is_for_opscheck(config):
        return
    checking = _runs_checks(config) and not config.option.collectonly
    if checking and not getattr(config.option, "allure_report_dir", None):
        folder = _report_dir(config) / "allure-results"
        config.option.allure_report_dir = str(folder)
        if not hasattr(config, "workerinput"):  # emptied once, before any worker writes
            shutil.rmtree(folder, ignore_errors=True)
    for kind, meaning in mapping.KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning}")
    config.addinivalue_line("markers", mapping.DATABASE)
    config.addinivalue_line(
        "markers",
        "runbook(section, cause=None, severity=None): the runbook scenario (or section) and "
        "common cause a check maps to, and the severities it can report",
    )
    env = config.getoption("opscheck_env") or config.getini("opscheck_env")
    faults = [f for f in (config.getoption("opscheck_simulate") or "").split(",") if f]
    try:
        run = Run.load(
            config.rootpath,
            env,
            faults=faults,
            replay=config.getoption("opscheck_replay"),
            save=config.getoption("opscheck_save"),
        )
        if faults:
            if not run.target.simulated:
                raise pytest.UsageError(
                    "--simulate stages faults in the simulated production, "
                    f"but '{run.target.name}' "
                    "is not simulated; use --env simulated"
                )
            select_faults(load_catalog(run.catalog), faults)
    except (RunbookError, TargetError, CatalogError) as error:
        raise pytest.UsageError(str(error) + _rootdir_hint(config)) from None
    for level in run.runbook.severities.values():
        config.addinivalue_line(
            "markers", f"{level.marker}: {level.level} {level.name}, respond {level.response_time}"
        )
    for scenario in run.runbook.scenarios:
        config.addinivalue_line(
            "markers", f"{scenario.slug}: runbook scenario {scenario.number}. {scenario.title}"
        )
    for section in run.runbook.sections:
        config.addinivalue_line("markers", f"{section.anchor}: runbook section {section.title}")
    config.stash[RUN] = run
    if _is_xdist_controller(config) and _runs_checks(config) and not run.replay:
        config.add_cleanup(partial(shutil.rmtree, run.share_evidence(), ignore_errors=True))
        if run.target.simulated:
            _start(run.share_simulator)


def _report_dir(config: pytest.Config) -> Path:
    return config.getoption("opscheck_report_dir") or config.rootpath / "reports"


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def _rootdir_hint(config: pytest.Config) -> str:
    """Say why the project was not found when pytest took an option's path for a test path.

    pytest finds its rootdir before plugins add their options, so in `--env PATH` it sees
    PATH as a test path; `--env=PATH` is one argument and does not mislead it.
    """
    if config.inipath is not None:
        return ""
    for option, value in itertools.pairwise(config.invocation_params.args):
        if option in PATH_OPTIONS and (config.invocation_params.dir / value).exists():
            return (
                f"\npytest took {value!r} for a test path and {config.rootpath} for the project "
                f"folder: write {option}={value}, with '=', from the project folder"
            )
    return f"\nno pyproject.toml found from {config.rootpath}: run from the project folder"


def _runs_checks(config: pytest.Config) -> bool:
    """Whether the paths asked for include checks/: the controller itself never collects."""
    checks = config.rootpath / CHECKS
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path.is_relative_to(checks) or checks.is_relative_to(path):
            return True
    return False


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        run.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash.get(RUN, None)
    if run is None:
        return []
    target, book = run.target, run.runbook
    if run.replay:
        where = f"REPLAY of {run.replay}: no network"
    elif target.simulated:
        where = "SIMULATED: moto and a local app on 127.0.0.1, no AWS account is touched"
    else:
        where = f"LIVE AWS {target.aws.endpoint_url or ''}".rstrip()
    lines = [f"opscheck: target {target.name} ({where}), region {target.aws.region}"]
    if run.faults:
        lines.append(f"opscheck: staged faults: {', '.join(run.faults)}")
    if target.aws.role_arn and not run.replay:
        lines.append(f"opscheck: reading as the role {target.aws.role_arn} ([aws] role_arn)")
    lines.append(
        f"opscheck: runbook {book.path} v{book.version}, {len(book.scenarios)} scenarios, "
        f"next review {book.maintenance.next_review}"
    )
    return lines


def _is_check(item: pytest.Item, root: Path) -> bool:
    return item.path.is_relative_to(root / CHECKS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Map every check to the runbook and mark it, before -m selects among them."""
    run = config.stash.get(RUN, None)
    if run is None:
        return
    problems = []
    for item in items:
        if not _is_check(item, config.rootpath):
            continue
        found = mapping.resolve(item, run.runbook)
        if isinstance(found, str):
            problems.append(found)
            continue
        item.stash[MAPPING] = found
        for severity in found.severities:
            item.add_marker(severity.lower())
        item.add_marker(found.section)
        allure_reports.label(item, found, run.runbook, run.target)
        if found.about_the_database(item.fixturenames):
            item.add_marker("database")
        item.user_properties.extend(found.as_properties())
        used = [name for name in item.fixturenames if name in SOURCES]
        item.user_properties.append(("opscheck.evidence", ",".join(used)))
    if problems:
        raise pytest.UsageError("checks not mapped to the runbook:\n  " + "\n  ".join(problems))
    coverage: dict[str, list[str]] = {}
    for item in items:
        if MAPPING in item.stash:
            coverage.setdefault(item.stash[MAPPING].section, []).append(item.name)
    config.stash[COVERAGE] = {section: tuple(names) for section, names in coverage.items()}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Gather, once, the evidence every selected check needs."""
    config = session.config
    run = config.stash.get(RUN, None)
    if run is None:
        return
    checks = [i for i in session.items if MAPPING in i.stash]
    sources = {name for item in checks for name in item.fixturenames if name in SOURCES}
    if not sources or config.option.collectonly:
        return
    evidence = _start(lambda: run.gather(sources))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        for line in _evidence_lines(evidence):
            reporter.write_line(line)


def _start(step: Any) -> Any:
    try:
        return step()
    except (SimulatorError, EvidenceFileError) as error:
        raise pytest.UsageError(str(error)) from None


def _evidence_lines(evidence: Evidence) -> list[str]:
    who = evidence.get("identity")
    if isinstance(who, Unavailable):
        account = f"opscheck: AWS account UNKNOWN ({who.reason})"
    else:
        account = f"opscheck: AWS account {who.account} as {who.arn}, region {who.region}"  # type: ignore[attr-defined]
    unavailable = [n for n, v in evidence.values.items() if isinstance(v, Unavailable)]
    calls = sum(evidence.api_calls.values())
    read = (
        f"opscheck: evidence from {len(evidence.values)} sources in {evidence.duration_s:.2f} s, "
        f"{calls} AWS API calls"
    )
    if evidence.replayed_from:
        read = (
            f"opscheck: evidence replayed from {evidence.replayed_from} "
            f"(collected {evidence.collected_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
    if unavailable:
        read += f"; UNAVAILABLE: {', '.join(sorted(unavailable))}"
    return [account, read]


@pytest.fixture(scope="session")
def runbook(request: pytest.FixtureRequest) -> Runbook:
    """The runbook the checks map to."""
    return request.config.stash[RUN].runbook


@pytest.fixture(scope="session")
def check_coverage(request: pytest.FixtureRequest) -> dict[str, tuple[str, ...]]:
    """Every runbook section or scenario mapped by a check in checks/, with those checks' names.

    Counted over everything collected, before -m or -k deselect: a selection is not a gap.
    """
    return request.config.stash[COVERAGE]


@pytest.fixture(scope="session")
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """The run's evidence, gathered once after collection."""
    found = request.config.stash[RUN].evidence
    if found is None:
        raise Inconclusive("no evidence was gathered for this run (is this a check under checks/?)")
    return found


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Any:
    """The environment being checked, as the checks reach it."""
    run = request.config.stash[RUN]
    return run.target if run.replay else run.checked_target()


@pytest.fixture(scope="session")
def thresholds(target: Any) -> Any:
    """The target's thresholds: the runbook's numbers unless the environment says otherwise."""
    return target.thresholds


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _redacting(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _redacting(item))


def _redacting(item: pytest.Item) -> Any:
    """Redact a check's failure where it is raised, before any reporter (Allure too) reads it.

    A failure's message may quote evidence (a health endpoint's body, a log line); pytest's
    assertion introspection appends the values compared, which are dropped here as well.
    """
    try:
        return (yield)
    except (AssertionError, Inconclusive) as error:
        if MAPPING in item.stash:
            text = str(error).split("\nassert ")[0].strip() or str(error)
            error.args = (redact(text),)
            if isinstance(error, Inconclusive):
                error.reason = redact(error.reason)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if MAPPING not in item.stash or call.excinfo is None:
        return report
    if call.excinfo.errisinstance(Inconclusive):
        reason = call.excinfo.value.reason  # type: ignore[union-attr]
        report.outcome = "failed"
        report.longrepr = f"INCONCLUSIVE: {reason}"
        report.user_properties.append((findings_module.INCONCLUSIVE, reason))
    elif call.excinfo.errisinstance(Failure):
        severity = call.excinfo.value.severity  # type: ignore[union-attr]
        if severity not in item.stash[MAPPING].severities:
            report.longrepr = (
                f"{item.nodeid} reported severity {severity}, which its runbook marker does not "
                f"declare ({', '.join(item.stash[MAPPING].severities)}): fix the check"
            )
            return report
        report.longrepr = str(call.excinfo.value)
        report.user_properties = [
            (k, severity if k == "opscheck.severity" else v) for k, v in report.user_properties
        ]
    elif call.excinfo.errisinstance(AssertionError):
        # The check's own sentence is what the on-call needs, not pytest's introspection.
        message = str(call.excinfo.value).split("\nassert ")[0].strip()
        if message:
            report.longrepr = message
    return report


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    properties = getattr(report, "user_properties", ())  # collect reports have none
    if any(key == findings_module.INCONCLUSIVE for key, _ in properties):
        return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
    return None


GATE = pytest.StashKey[tuple[str, str]]()  # (fail_on, decision), set at the end of a run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Apply --fail-on: a run whose every failure is below the gate passes, with warnings."""
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput") or RUN not in config.stash:
        return
    fail_on = config.getoption("opscheck_fail_on").upper()
    reports = [
        r
        for key in ("failed", "error", "inconclusive")
        for r in reporter.stats.get(key, [])
        if isinstance(r, pytest.TestReport)
    ]
    found = findings_module.collect(reports)
    decision = findings_module.gate(found, fail_on)
    if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or len(found) < len(
        {r.nodeid for r in reports}
    ):
        decision = "block"  # interrupted, nothing selected, or something not a check failed
    config.stash[GATE] = (fail_on, decision)
    if decision == "warn" and exitstatus == pytest.ExitCode.TESTS_FAILED:
        session.exitstatus = pytest.ExitCode.OK


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or hasattr(config, "workerinput"):
        return
    reports = [
        r
        for key in ("passed", "failed", "inconclusive", "error")
        for r in terminalreporter.stats.get(key, [])
    ]
    found = findings_module.collect(r for r in reports if isinstance(r, pytest.TestReport))
    if not found:
        return
    target = run.target if run.replay or run.simulator is None else run.simulator.serve(run.target)
    account, caller = run.identity()
    context = RunContext(
        runbook=run.runbook,
        target=target,
        account=account,
        caller=caller,
        started_at=run.started_at,
        finished_at=now(),
        faults=tuple(run.faults),
        replayed_from=str(run.replay) if run.replay else None,
        incident_start=config.getoption("opscheck_incident_start"),
        gate=config.stash.get(GATE, None),
        reference=run.reference,
    )
    results = getattr(config.option, "allure_report_dir", None)
    publish(
        found,
        context,
        _report_dir(config),
        terminalreporter,
        Path(results) if results else None,
    )
