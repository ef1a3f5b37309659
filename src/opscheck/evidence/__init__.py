"""Evidence: what the checks look at, read once per run from AWS and HTTP, or from a file."""

from opscheck.evidence import cloudwatch, ecs, elb, http, identity  # noqa: F401  (registers sources)
from opscheck.evidence.base import SOURCES, Context, Model, Unavailable, read_actions
from opscheck.evidence.collect import Evidence, EvidenceFileError, gather

__all__ = [
    "SOURCES",
    "Context",
    "Evidence",
    "EvidenceFileError",
    "Model",
    "Unavailable",
    "gather",
    "read_actions",
]
