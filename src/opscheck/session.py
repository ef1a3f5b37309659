"""One opscheck run inside pytest: the hooks from mapping the checks to publishing the findings.

The plugin registers a `CheckSession` only for a run that is opscheck's, as pytest-xdist
registers its `DSession`: the run's state lives here as attributes, so no hook has to look
it up and ask whether it is there. Under xdist every worker has its own session, which maps,
gathers and runs its checks; only the main process judges the run and reports it.
"""

from __future__ import annotations

import atexit
import gc
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from opscheck import findings as findings_module
from opscheck import mapping
from opscheck.evidence import SOURCES, Evidence, EvidenceFileError, Unavailable
from opscheck.evidence.collect import now
from opscheck.findings import Finding
from opscheck.interrupts import HeldInterrupt
from opscheck.outcomes import Failure, Inconclusive, NotConfigured
from opscheck.redact import redact
from opscheck.reports import RunContext, junit
from opscheck.reports import allure as allure_reports
from opscheck.reports.publish import publish
from opscheck.run import CHECKS, Run
from opscheck.simulator import SimulatorError

if TYPE_CHECKING:
    from opscheck.incident.tracker import IncidentTracker

T = TypeVar("T")

MAPPING = pytest.StashKey[mapping.Mapping]()  # on each check's item: where it maps to
SESSION = pytest.StashKey["CheckSession"]()  # on the config, for the fixtures that read the run


class CheckSession:
    """The run being checked, what collection found, what the checks concluded, and the gate."""

    def __init__(
        self,
        config: pytest.Config,
        run: Run,
        report_dir: Path,
        *,
        checking: bool = True,
        report_problem: str | None = None,
        tracker: IncidentTracker | None = None,
    ) -> None:
        self.config = config
        self.tracker = tracker  # the --incident this run belongs to, if any
        self.run = run
        self.report_dir = report_dir
        self.checking = checking  # checks/ is collected and run (not --collect-only)
        self.report_problem = report_problem  # why reports cannot be written, if they cannot
        self.is_worker = hasattr(config, "workerinput")
        self.unmapped = False  # a check maps to no runbook section: nothing is read
        self.complete = False  # every selected check ran: set at the end of the run
        self._said_after_collection = False  # an xdist controller speaks for its workers once
        # Every runbook section mapped by a collected check, with those checks' names.
        self.coverage: dict[str, tuple[str, ...]] = {}
        self.findings: list[Finding] = []  # set once, at the end of the run
        self.gate: tuple[str, str] | None = None  # (fail_on, decision), likewise
        self.session: pytest.Session | None = None  # set when the checks are over
        self.interrupt = HeldInterrupt()  # Ctrl-C from then on waits for the reports

    def share_with_workers(self) -> None:
        """On an xdist controller: one simulator and one evidence read for all the workers.

        The shared folder also carries back what the workers selected, for the header.
        """
        self.config.add_cleanup(
            partial(shutil.rmtree, self.run.share_evidence(), ignore_errors=True)
        )
        if self.run.target.simulated and not self.run.replay:
            _start(self.run.share_simulator)

    def settle(self) -> None:
        """Leave what is loaded so far (modules, models, botocore's clients) out of the
        garbage collector's full passes until the run ends.

        Each full pass walks every object alive: with botocore's service models that is
        about 0.15 s, and a run makes several (while it grows, and pytest's own at the end).
        What a run loads lives to its end anyway; it is handed back once the config is
        cleaned up (`keep_collector_out`).
        """
        gc.freeze()

    @pytest.hookimpl(trylast=True)  # after pytest's own collection at unconfigure
    def pytest_unconfigure(self) -> None:
        """After pytest's junitxml wrote its file: make it say what opscheck concluded."""
        try:
            xml = getattr(self.config.option, "xmlpath", None)
            if xml and self.findings and not self.is_worker:
                try:
                    junit.rewrite(Path(xml), self.findings, self.run.runbook)
                except (OSError, ET.ParseError) as error:
                    print(
                        f"opscheck: could not complete the JUnit file {xml}: {error}",
                        file=sys.stderr,
                    )
            self.run.close()
        finally:
            if self.interrupt.release() and self.session is not None:
                print(
                    "opscheck: interrupted while the run was ending: its reports were "
                    "finished first",
                    file=sys.stderr,
                )
                self.session.exitstatus = pytest.ExitCode.INTERRUPTED

    def pytest_report_header(self) -> list[str]:
        run = self.run
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
        if self.report_problem:
            lines.append(f"opscheck: WARNING {self.report_problem}")
        return lines

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Map every check to the runbook and mark it, before -m selects among them."""
        book = self.run.runbook
        checks = self.config.rootpath / CHECKS
        problems = []
        labelled = allure_reports.runs(self.config)
        for item in items:
            if not item.path.is_relative_to(checks):
                continue
            found = mapping.resolve(item, book)
            if isinstance(found, str):
                problems.append(found)
                continue
            item.stash[MAPPING] = found
            for severity in found.severities:
                item.add_marker(severity.lower())
            item.add_marker(found.section)
            if labelled:
                allure_reports.label(item, found, book, self.run.target)
            if found.about_the_database(item.fixturenames):
                item.add_marker("database")
            item.user_properties.extend(found.as_properties())
            used = [name for name in item.fixturenames if name in SOURCES]
            item.user_properties.append(("opscheck.evidence", ",".join(used)))
        if problems:
            self.unmapped = True  # pytest still calls collection_finish: read nothing there
            raise pytest.UsageError("checks not mapped to the runbook:\n  " + "\n  ".join(problems))
        coverage: dict[str, list[str]] = {}
        for item in items:
            if MAPPING in item.stash:
                coverage.setdefault(item.stash[MAPPING].section, []).append(item.name)
        self.coverage = {section: tuple(names) for section, names in coverage.items()}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Gather, once, the evidence every selected check needs."""
        if not self.checking or self.unmapped:
            return
        checks = [i for i in session.items if MAPPING in i.stash]
        selected = self._selection(checks)
        sources = {name for item in checks for name in item.fixturenames if name in SOURCES}
        if self.tracker is not None and sources:
            from opscheck.incident.observe import READS

            sources |= set(READS)  # what the incident's Update says was done
        self.settle()  # what collection loaded; then what the evidence pass loads
        evidence = _start(lambda: self.run.gather(sources)) if sources else None
        self.settle()
        if self.is_worker:
            self.run.share_selection(selected)
        else:
            self._write_lines(selected, evidence)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """On an xdist controller: say what a single process says after collection, once."""
        if self._said_after_collection:
            return
        self._said_after_collection = True
        selected = self.run.shared_selection()
        if selected is not None:
            self._write_lines(selected, self.run.shared_evidence())

    def _selection(self, checks: list[pytest.Item]) -> str:
        """Which runbook sections the selected checks cover, and how many checks each."""
        counts: dict[str, int] = {}
        for item in checks:
            name = self.run.runbook.place(item.stash[MAPPING].section).name
            counts[name] = counts.get(name, 0) + 1
        sections = ", ".join(f"{name} ({count})" for name, count in counts.items())
        plural = "" if len(checks) == 1 else "s"
        return f"opscheck: {len(checks)} check{plural} selected: {sections or 'none'}"

    def _write_lines(self, selected: str, evidence: Evidence | None) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        reporter.write_line(selected)
        for line in _evidence_lines(evidence) if evidence is not None else ():
            reporter.write_line(line)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from _redacting(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from _redacting(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Turn a check's exception into what the on-call reads: its sentence, its severity."""
        report = yield
        if MAPPING not in item.stash or call.excinfo is None:
            return report
        if call.excinfo.errisinstance(NotConfigured):
            reason = call.excinfo.value.reason  # type: ignore[union-attr]
            report.outcome = "skipped"
            report.longrepr = (str(item.path), (item.location[1] or 0) + 1, reason)
            report.user_properties.append((findings_module.NOT_CONFIGURED, reason))
        elif call.excinfo.errisinstance(Inconclusive):
            reason = call.excinfo.value.reason  # type: ignore[union-attr]
            report.outcome = "failed"
            report.longrepr = f"INCONCLUSIVE: {reason}"
            report.user_properties.append((findings_module.INCONCLUSIVE, reason))
        elif call.excinfo.errisinstance(Failure):
            severity = call.excinfo.value.severity  # type: ignore[union-attr]
            if severity not in item.stash[MAPPING].severities:
                report.longrepr = (
                    f"{item.nodeid} reported severity {severity}, which its runbook marker does "
                    f"not declare ({', '.join(item.stash[MAPPING].severities)}): fix the check"
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

    def pytest_report_teststatus(
        self, report: pytest.CollectReport | pytest.TestReport
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        properties = getattr(report, "user_properties", ())  # collect reports have none
        keys = {key for key, _ in properties}
        if findings_module.INCONCLUSIVE in keys:
            return "inconclusive", "I", ("INCONCLUSIVE", {"yellow": True})
        if findings_module.NOT_CONFIGURED in keys:
            return "not configured", "n", ("NOT CONFIGURED", {"cyan": True})
        return None

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # around the terminal's summary too
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        """The checks are over: hold Ctrl-C until the reports are written, and conclude."""
        self.interrupt.hold()
        self.session = session
        self._conclude(session, exitstatus)
        return (yield)

    def _conclude(self, session: pytest.Session, exitstatus: int) -> None:
        """Read the findings, once, and apply --fail-on: below the gate, the run passes."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.is_worker:
            return

        def reports(*keys: str) -> list[pytest.TestReport]:
            stats = reporter.stats
            return [r for k in keys for r in stats.get(k, []) if isinstance(r, pytest.TestReport)]

        # In this order, so each section's checks keep the order the summary has always had.
        self.findings = findings_module.collect(
            reports("passed", "failed", "inconclusive", "error", "not configured")
        )
        fail_on = self.config.getoption("opscheck_fail_on").upper()
        decision = findings_module.gate(self.findings, fail_on)
        failing = {r.nodeid for r in reports("failed", "error", "inconclusive")}
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or (
            failing - {f.nodeid for f in self.findings}
        ):
            decision = "block"  # interrupted, nothing selected, or something not a check failed
        self.gate = (fail_on, decision)
        self.complete = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if decision == "warn" and exitstatus == pytest.ExitCode.TESTS_FAILED:
            session.exitstatus = pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        # A run that stopped early is reported too, as incomplete: a summary of an earlier
        # run must not be left to speak for it.
        if self.is_worker or not (self.findings or (self.checking and not self.complete)):
            return
        run = self.run
        target = (
            run.target if run.replay or run.simulator is None else run.simulator.serve(run.target)
        )
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
            incident_start=(
                self.tracker.started_at
                if self.tracker
                else self.config.getoption("opscheck_incident_start")
            ),
            gate=self.gate,
            reference=run.reference,
            complete=self.complete,
        )
        results = getattr(self.config.option, "allure_report_dir", None)
        tracked = None
        if self.tracker is not None:
            evidence = run.evidence or run.shared_evidence()
            outcome = self.tracker.advance(self.findings, context, evidence)
            tracked = outcome.lines
            if outcome.written:
                tracked.append(f"incident {self.tracker.name}: record in {self.tracker.folder}")
            if outcome.problem:
                tracked.append(f"incident {self.tracker.name}: {outcome.problem}")
        publish(
            self.findings,
            context,
            self.report_dir,
            terminalreporter,
            Path(results) if results else None,
            tracked,
        )


def keep_collector_out(config: pytest.Config) -> None:
    """Give back what `CheckSession.settle` froze once pytest has cleaned up, and freeze it
    all again when the interpreter exits.

    Called first in `pytest_configure`, so its cleanup runs after pytest's own: the full
    collection pytest makes then still skips what the run froze (0.1 to 0.2 s), and a host
    process that runs pytest in-process gets its collector whole afterwards. At exit the
    interpreter's last collection would walk every object still alive, botocore's models
    included (0.4 s before the prompt comes back); frozen, they are left to the OS.
    """
    config.add_cleanup(gc.unfreeze)
    atexit.unregister(gc.freeze)  # once per process, however many runs it makes
    atexit.register(gc.freeze)


def _start(step: Callable[[], T]) -> T:
    """Run a step that starts the run; a simulator or evidence file that fails is a usage error."""
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
    missing = {n: v for n, v in evidence.values.items() if isinstance(v, Unavailable)}
    unavailable = [n for n, v in missing.items() if not v.not_configured]
    left_out = [n for n, v in missing.items() if v.not_configured]
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
    if left_out:
        read += f"; not configured: {', '.join(sorted(left_out))}"
    return [account, read]


def _redacting(item: pytest.Item) -> Generator[None, Any, Any]:
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
