"""Ctrl-C while a run ends: the reports are finished first, then the run exits interrupted.

From the end of the checks to the end of the run, opscheck writes its reports, rewrites
the JUnit file and stops the simulator: well under a second. A Ctrl-C in that window
would leave half-written reports, a raw traceback and exit 130; held instead, it is
noted, the run finishes what it was writing, and exits 2 like any interrupted run.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class HeldInterrupt:
    """Ctrl-C noted rather than raised, between `hold` and `release`."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None
        self._holding = False

    def hold(self) -> None:
        if self._holding or threading.current_thread() is not threading.main_thread():
            return  # signal handlers belong to the main thread
        self._previous = signal.signal(signal.SIGINT, self._note)
        self._holding = True

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.pressed = True

    def release(self) -> bool:
        """Give Ctrl-C back; True when it was pressed while held."""
        if self._holding:
            signal.signal(signal.SIGINT, self._previous)
            self._holding = False
        return self.pressed
