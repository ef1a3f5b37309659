"""Evidence: what the checks look at, read once per run from AWS and HTTP, or from a file.

Every module of this package other than `base` and `collect` holds sources; importing
the package registers them all.
"""

import importlib
import pkgutil

from opscheck.evidence.base import (
    SOURCES,
    Context,
    Model,
    NotConfigured,
    Unavailable,
    read_actions,
)
from opscheck.evidence.collect import Evidence, EvidenceFileError, gather

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "collect"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "SOURCES",
    "Context",
    "Evidence",
    "EvidenceFileError",
    "Model",
    "NotConfigured",
    "Unavailable",
    "gather",
    "read_actions",
]
