"""The cache_cluster source, against moto's ElastiCache."""

from __future__ import annotations

import boto3

from opscheck.evidence import Unavailable, gather
from opscheck.evidence.cache import CacheCluster
from opscheck.target import Target
from tests.helpers import CREDENTIALS, SIMULATED, context


def with_cache(cluster: str | None) -> Target:
    cache = SIMULATED.cache.model_copy(update={"cluster": cluster}) if cluster else None
    return SIMULATED.model_copy(update={"cache": cache})


def test_cache_cluster_read_from_elasticache(moto_url: str) -> None:
    name = "opscheck-tests-redis"
    boto3.client(
        "elasticache", region_name="us-east-2", endpoint_url=moto_url, **CREDENTIALS
    ).create_cache_cluster(
        CacheClusterId=name, Engine="redis", CacheNodeType="cache.t4g.small", NumCacheNodes=1
    )
    found = gather(["cache_cluster"], context(with_cache(name), moto_url)).get("cache_cluster")
    assert found == CacheCluster(
        cluster=name,
        status="available",
        engine="redis",
        engine_version=found.engine_version,  # type: ignore[union-attr]
        node_type="cache.t4g.small",
        nodes=1,
    )


def test_missing_cache_cluster_is_evidence(moto_url: str) -> None:
    ctx = context(with_cache("opscheck-tests-no-redis"), moto_url)
    found = gather(["cache_cluster"], ctx).get("cache_cluster")
    assert found == CacheCluster(cluster="opscheck-tests-no-redis", exists=False)


def test_no_cache_table_is_unavailable(moto_url: str) -> None:
    found = gather(["cache_cluster"], context(with_cache(None), moto_url)).get("cache_cluster")
    assert isinstance(found, Unavailable)
    assert "no [cache] table in simulated.toml" in found.reason


def test_a_replication_group_id_says_which_ids_to_use(moto_url: str) -> None:
    """Not 'the cache does not exist': the id names the group, and its members are clusters."""
    boto3.client(
        "elasticache", region_name="us-east-2", endpoint_url=moto_url, **CREDENTIALS
    ).create_replication_group(
        ReplicationGroupId="opscheck-tests-rg",
        ReplicationGroupDescription="the service's Redis",
        Engine="redis",
        CacheNodeType="cache.t4g.small",
        NumCacheClusters=2,
    )
    ctx = context(with_cache("opscheck-tests-rg"), moto_url)
    found = gather(["cache_cluster"], ctx).get("cache_cluster")
    assert isinstance(found, Unavailable) and not found.not_configured
    assert found.reason.startswith(
        "[cache] cluster opscheck-tests-rg is a replication group, not a cache cluster"
    )
    assert "opscheck-tests-rg-001" in found.reason
