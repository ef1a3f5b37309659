"""Redis: the simulation's redis-server, filled until it evicts (evidence: `redis`).

Each run finds it empty, at its maxmemory of 64 MB, with 90% of its lookups hitting
(`opscheck.simulator.databases.reset_redis`).
"""

from __future__ import annotations

from pydantic import Field

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import World

VALUE = "v" * 4096


class RedisMemoryChange(Change):
    """Redis at its maxmemory, evicting keys to take new ones."""

    evicted: int = Field(50, ge=1)
    """Keys evicted at least."""
    headroom_kb: int = Field(256, ge=16)
    """maxmemory is set this far above what Redis uses before the writes that fill it."""


@effect("redis_memory", RedisMemoryChange)
def fill_redis(world: World, change: RedisMemoryChange, fault: Fault) -> None:
    import redis

    if world.redis_url is None:
        raise ValueError(f"fault '{fault.name}': the simulation runs no Redis here")
    with redis.Redis.from_url(world.redis_url) as client:
        used = int(client.info("memory")["used_memory"])
        client.config_set("maxmemory", used + change.headroom_kb * 1024)
        n = 0
        while int(client.info("stats")["evicted_keys"]) < change.evicted:
            pipe = client.pipeline(transaction=False)
            for _ in range(50):
                pipe.set(f"report:{n}", VALUE)
                n += 1
            pipe.execute()
