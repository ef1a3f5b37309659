"""Evidence from ElastiCache: the Redis cluster the service caches in, and its status."""

from __future__ import annotations

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, NotConfigured, source


class NoCacheConfigured(NotConfigured):
    """The target names no cache cluster, so there is nothing to ask."""


class CacheCluster(Model):
    cluster: str
    exists: bool = True
    status: str | None = None  # available, creating, modifying, rebooting cache cluster nodes...
    engine: str | None = None
    engine_version: str | None = None
    node_type: str | None = None
    nodes: int | None = None


@source("cache_cluster", actions=("elasticache:DescribeCacheClusters",))
def cache_cluster(ctx: Context) -> CacheCluster:
    """The ElastiCache cluster of [cache]: status, engine, node type and count."""
    if ctx.target.cache is None:
        raise NoCacheConfigured(
            f"no [cache] table in {ctx.target.path.name}: add one with the cluster id "
            "to check Redis"
        )
    name = ctx.target.cache.cluster
    try:
        found = ctx.aws.client("elasticache").describe_cache_clusters(CacheClusterId=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "CacheClusterNotFound":
            raise
        return CacheCluster(cluster=name, exists=False)
    c = found["CacheClusters"][0]
    return CacheCluster(
        cluster=name,
        status=c.get("CacheClusterStatus"),
        engine=c.get("Engine"),
        engine_version=c.get("EngineVersion"),
        node_type=c.get("CacheNodeType"),
        nodes=c.get("NumCacheNodes"),
    )
