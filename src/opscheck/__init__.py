"""opscheck: an incident runbook that runs.

The runbook's scenarios become pytest checks; every failure is mapped back to the
runbook section, its severity, the likely cause, the commands to run and who to call.
"""

from opscheck.outcomes import Failure, Inconclusive, fail, inconclusive

__all__ = ["Failure", "Inconclusive", "fail", "inconclusive"]
