"""Evidence from ElastiCache: the Redis cluster the service caches in, and its status."""

from __future__ import annotations

from botocore.exceptions import ClientError

from opscheck.evidence.base import Context, Model, NotConfigured, SourceUnavailable, source


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


def _not_a_replication_group(ctx: Context, name: str) -> None:
    """A replication group's id is not a cluster's: its nodes are clusters of their own
    (`<id>-001`...), each publishing its metrics. Say which ids to use rather than call the
    cache missing."""
    try:
        found = ctx.aws.client("elasticache").describe_replication_groups(ReplicationGroupId=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ReplicationGroupNotFoundFault":
            raise
        return
    members = [m for g in found["ReplicationGroups"] for m in g.get("MemberClusters", [])]
    raise SourceUnavailable(
        f"[cache] cluster {name} is a replication group, not a cache cluster: set it to one of "
        f"its member clusters ({', '.join(members) or 'none listed'}), whose metrics are per node"
    )


@source(
    "cache_cluster",
    actions=("elasticache:DescribeCacheClusters", "elasticache:DescribeReplicationGroups"),
)
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
        _not_a_replication_group(ctx, name)
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
