"""One run of the checks: the runbook, the target, the simulator if any, and the evidence.

Kept in `config.stash` by the plugin. Evidence is gathered once, after collection, for
the sources the selected checks name and nothing else.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import requests

from opscheck import target as target_module
from opscheck.aws import ReadOnlySession
from opscheck.evidence import (
    Context,
    Evidence,
    EvidenceFileError,
    Unavailable,
    gather,
    read_actions,
)
from opscheck.evidence.collect import now
from opscheck.paths import CATALOG, CHECKS, RUNBOOK
from opscheck.runbook import Runbook
from opscheck.runbook import cache as runbook_cache
from opscheck.simulator import Simulator
from opscheck.target import Target, ThresholdsConfig

__all__ = ["CATALOG", "CHECKS", "RUNBOOK", "Run"]
REFERENCE_ENV = "production"  # the environment the runbook's commands were written for
SHARED_SIMULATOR = "OPSCHECK_SIMULATOR"  # set by an xdist controller for its workers
SHARED_EVIDENCE = "OPSCHECK_EVIDENCE_DIR"  # likewise


@dataclass
class Run:
    root: Path
    runbook: Runbook
    target: Target
    reference: dict[str, str]
    faults: list[str] = field(default_factory=list)
    replay: Path | None = None
    save: Path | None = None
    simulator: Simulator | None = None
    evidence: Evidence | None = None
    started_at: datetime = field(default_factory=now)

    def identity(self) -> tuple[str | None, str | None]:
        """The account and caller the evidence was read as, in this process or a worker's."""
        evidence = self.evidence or self.shared_evidence()
        who = evidence.get("identity") if evidence else None
        if who is None or isinstance(who, Unavailable):
            return None, None
        return who.account, who.arn  # type: ignore[attr-defined]

    @classmethod
    def load(cls, root: Path, env: str, **options: object) -> Run:
        """Read the runbook and the target; RunbookError and TargetError say what is wrong."""
        book = replace(runbook_cache.load(root / RUNBOOK), path=str(RUNBOOK))
        target = target_module.load(env, root)
        try:
            reference = target_module.load(REFERENCE_ENV, root).names()
        except target_module.TargetError:
            reference = target.names()
        return cls(root=root, runbook=book, target=target, reference=reference, **options)  # type: ignore[arg-type]

    @property
    def catalog(self) -> Path:
        return self.root / CATALOG

    def start_simulator(self) -> Simulator:
        """Start (or join, under xdist) the simulated production this run checks."""
        if self.simulator is None:
            shared = os.environ.get(SHARED_SIMULATOR)
            if shared:
                self.simulator = Simulator.joined(shared)
            else:
                self.simulator = Simulator.start(self.target, self.catalog, self.faults)
        return self.simulator

    def share_simulator(self) -> None:
        os.environ[SHARED_SIMULATOR] = self.start_simulator().shared()

    def checked_target(self) -> Target:
        """The target as the checks reach it: pointed at the simulator when it is simulated."""
        if self.target.simulated and self.replay is None:
            return self.start_simulator().serve(self.target)
        return self.target

    def gather(self, sources: set[str]) -> Evidence:
        """Read the sources (or the saved evidence), and save them if asked to."""
        shared = os.environ.get(SHARED_EVIDENCE)
        if self.replay is not None:
            self.evidence = Evidence.load(self.replay)
            self._judge_by_saved_thresholds(self.evidence)
        elif shared:
            self.evidence = self._read_shared(Path(shared), sources)
        else:
            self.evidence = self._read(sources)
        if self.save is not None:
            self.evidence.save(self.save)
        return self.evidence

    def _judge_by_saved_thresholds(self, evidence: Evidence) -> None:
        """A replay gives the verdict the run gave: by the thresholds in force back then."""
        if evidence.thresholds is None:
            return
        try:
            saved = ThresholdsConfig.model_validate(evidence.thresholds)
        except ValueError as error:
            raise EvidenceFileError(f"{self.replay}: 'thresholds' is malformed: {error}") from None
        self.target = self.target.model_copy(update={"thresholds": saved})

    def share_evidence(self) -> Path:
        """Let xdist workers read the evidence once between them, through a locked folder."""
        folder = Path(tempfile.mkdtemp(prefix="opscheck-evidence-"))
        os.environ[SHARED_EVIDENCE] = str(folder)
        return folder

    def share_selection(self, line: str) -> None:
        """On an xdist worker: leave what was selected where the controller reads it."""
        shared = os.environ.get(SHARED_EVIDENCE)
        if shared:
            written = Path(shared) / f"selection-{os.getpid()}.txt"
            written.write_text(line, encoding="utf-8")
            written.replace(Path(shared) / "selection.txt")  # whole, whichever worker wins

    def shared_selection(self) -> str | None:
        shared = os.environ.get(SHARED_EVIDENCE)
        path = Path(shared) / "selection.txt" if shared else None
        return path.read_text(encoding="utf-8") if path and path.exists() else None

    def shared_evidence(self) -> Evidence | None:
        """Evidence this process did not read itself: its xdist workers', or the replayed file."""
        if self.replay is not None:
            try:
                return Evidence.load(self.replay)
            except EvidenceFileError:
                return None  # the evidence pass has said what is wrong with it: a usage error
        shared = os.environ.get(SHARED_EVIDENCE)
        saved = Path(shared) / "evidence.json" if shared else None
        if saved is None or not saved.exists():
            return None
        return replace(Evidence.load(saved), replayed_from=None)  # read live, by a worker

    def _read_shared(self, folder: Path, sources: set[str]) -> Evidence:
        # Workers collect the same checks, so the first to take the lock reads for all.
        with (folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            saved = folder / "evidence.json"
            if saved.exists():
                evidence = Evidence.load(saved)
                if sources <= evidence.values.keys():
                    return replace(evidence, replayed_from=None)
            evidence = self._read(sources)
            evidence.save(saved)
            return evidence

    def _read(self, sources: set[str]) -> Evidence:
        target = self.checked_target()
        session = ReadOnlySession(
            target.aws.region,
            read_actions(),
            profile=target.aws.profile,
            endpoint_url=target.aws.endpoint_url,
            credentials=self.simulator.credentials if self.simulator else None,
            role_arn=target.aws.role_arn,
        )
        http = requests.Session()
        http.headers["User-Agent"] = "opscheck"
        ctx = Context(target=target, aws=session, http=http, now=now())
        return gather(sources | {"identity"}, ctx)

    def close(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
