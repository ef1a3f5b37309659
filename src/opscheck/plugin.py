"""The pytest plugin: options, activation, markers, and the session that runs the checks.

Registered as the `opscheck` pytest11 entry point, so it is loaded by every pytest run in
the environment. Like pytest-xdist's plugin, it only adds options and, for a run that is
opscheck's, registers the markers, a `session.CheckSession` (the run's hooks) and the
`fixtures` the checks read. The work is done in `run` (runbook, target, simulator,
evidence), `mapping` (check -> runbook) and `reports` (the summary and the files).

Those are imported when a hook needs them, not with this module: pytest imports every
installed plugin at start-up, so what is imported here is paid by every pytest run, and by
the on-call before the first check. pytest marks the package of a pytest11 plugin for
assertion rewriting; the plugin takes its own modules back out (`_keep_asserts_plain`), as
none of them asserts for a check: checks/ and conftest.py are rewritten as in any project.
"""

from __future__ import annotations

import argparse
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opscheck.paths import CATALOG, CHECKS, RUNBOOK

PATH_OPTIONS = ("--env", "--evidence", "--save-evidence", "--report-dir")
PACKAGE = __name__.partition(".")[0]


def _keep_asserts_plain(pluginmanager: pytest.PytestPluginManager) -> None:
    """Leave opscheck's own modules out of assertion rewriting.

    pytest marks every module of a pytest11 plugin's distribution for rewriting; for opscheck
    that is the whole package, parsed and rewritten at every start-up (and compiled again
    each time where bytecode is not cached) although only checks assert. Modules already
    imported keep what they have; without the hook pytest is expected to have, nothing changes.
    """
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    if isinstance(marked, set) and PACKAGE in marked:
        marked.discard(PACKAGE)
        cache = getattr(hook, "_marked_for_rewrite_cache", None)
        if isinstance(cache, dict):
            for name in [n for n in cache if n == PACKAGE or n.startswith(PACKAGE + ".")]:
                del cache[name]


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


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _keep_asserts_plain(pluginmanager)
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
        "--incident",
        dest="opscheck_incident",
        metavar="NAME",
        help="carry an incident across runs in reports/incidents/NAME/: the first failing run "
        "opens it (at --incident-start if given), later runs post the runbook's Update, and "
        "the run that verifies every affected health check and the error checks resolves it",
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
    from opscheck.simulator.catalog import CatalogError
    from opscheck.simulator.catalog import load as load_catalog

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
    "opscheck_incident",
    "opscheck_report_dir",
)


@pytest.hookimpl(tryfirst=True)  # before allure-pytest reads --alluredir
def pytest_configure(config: pytest.Config) -> None:
    if not _is_for_opscheck(config):
        return
    from opscheck import fixtures, mapping
    from opscheck.reports import allure
    from opscheck.reports.write import ALLURE_RESULTS, prepare
    from opscheck.run import Run
    from opscheck.runbook import RunbookError
    from opscheck.session import SESSION, CheckSession, keep_collector_out
    from opscheck.simulator.catalog import CatalogError
    from opscheck.simulator.catalog import load as load_catalog
    from opscheck.simulator.catalog import select as select_faults
    from opscheck.target import TargetError

    keep_collector_out(config)  # first: its cleanup runs after every other
    checking = _runs_checks(config) and not config.option.collectonly
    report_dir = _report_dir(config)
    report_problem = None
    if checking:
        # Cleared once, by the main process, before any worker writes.
        report_problem = prepare(report_dir, clear=not hasattr(config, "workerinput"))
        if report_problem is None and allure.runs(config) and not config.option.allure_report_dir:
            config.option.allure_report_dir = str(report_dir / ALLURE_RESULTS)
    for kind, meaning in mapping.KINDS.items():
        config.addinivalue_line("markers", f"{kind}: {meaning}")
    config.addinivalue_line("markers", mapping.DATABASE)
    config.addinivalue_line(
        "markers",
        "runbook(section, cause=None, severity=None): the runbook scenario (or section) and "
        "common cause a check maps to, and the severities it can report",
    )
    env = _environment(config)
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
    tracker = None
    if config.getoption("opscheck_incident"):
        from opscheck.incident.record import RecordError
        from opscheck.incident.tracker import IncidentTracker

        try:
            tracker = IncidentTracker(
                config.getoption("opscheck_incident"),
                report_dir,
                run.runbook,
                config.getoption("opscheck_incident_start"),
            )
        except RecordError as error:
            raise pytest.UsageError(str(error)) from None
        config.pluginmanager.register(tracker, "opscheck-incident")
    session = CheckSession(
        config, run, report_dir, checking=checking, report_problem=report_problem, tracker=tracker
    )
    config.stash[SESSION] = session
    config.pluginmanager.register(session, "opscheck-session")
    config.pluginmanager.register(fixtures, "opscheck.fixtures")
    session.settle()
    if _is_xdist_controller(config) and checking:
        session.share_with_workers()


def _environment(config: pytest.Config) -> str:
    """The environment to judge: --env; for saved evidence, the one it was read from."""
    from opscheck.evidence.collect import Evidence

    given = config.getoption("opscheck_env")
    replay = config.getoption("opscheck_replay")
    saved = Evidence.saved_target(replay) if replay is not None else None
    if saved is None:
        return given or config.getini("opscheck_env")
    if given is not None and given != saved and Path(given).stem != saved:
        raise pytest.UsageError(
            f"{replay} was read from the environment '{saved}', not '{given}': judged with "
            f"another environment's names and thresholds it would give another verdict; "
            f"leave --env out, or pass --env={saved}"
        )
    return given or saved


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
