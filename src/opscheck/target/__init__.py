"""The target: one environment file that names every resource the checks look at.

An environment lives in ``environments/<name>.toml``. It is validated once, up front, into an
immutable ``Target`` (`tables`) so that a typo in a resource name is reported before any check
runs, as a message that names the file and the key rather than a validation traceback (`load`).
"""

from opscheck.target.load import TargetError, available, load, remember_password
from opscheck.target.tables import PostgresConfig, RedisConfig, Target, ThresholdsConfig

__all__ = [
    "PostgresConfig",
    "RedisConfig",
    "Target",
    "TargetError",
    "ThresholdsConfig",
    "available",
    "load",
    "remember_password",
]
