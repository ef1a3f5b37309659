"""ElastiCache: the Redis cluster of [cache], seeded available, put in another status
(evidence: `cache`).

moto's ElastiCache clusters are `available` at once and stay so; other statuses are set
on its backend, in the simulator's process. The cache's metrics are `metrics` effects.
"""

from __future__ import annotations

from moto.elasticache.models import elasticache_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect, seed
from opscheck.simulator.world import ACCOUNT, World


@seed("cache")
def redis_cluster(world: World) -> None:
    if world.target.cache is None:
        return
    world.client("elasticache").create_cache_cluster(
        CacheClusterId=world.target.cache.cluster,
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.small",
        NumCacheNodes=1,
    )


class CacheClusterChange(Change):
    """The Redis cluster put in another status."""

    status: str
    """The cluster status, e.g. `snapshotting` or `incompatible-network`."""


@effect("cache_cluster", CacheClusterChange)
def change_cache_cluster(world: World, change: CacheClusterChange, fault: Fault) -> None:
    if world.target.cache is None:
        raise ValueError(f"fault '{fault.name}': the target has no [cache] table")
    backend = elasticache_backends[ACCOUNT][world.target.aws.region]
    backend.cache_clusters[world.target.cache.cluster].cache_cluster_status = change.status
