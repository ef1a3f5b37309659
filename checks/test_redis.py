"""Scenario 4's "Cache miss (Redis issue)", seen from inside Redis.

Read over a direct connection (`[redis]`, evidence `redis`: PING and INFO), where the
runner reaches the cache; without one these checks are not configured. CloudWatch's
ElastiCache metrics (test_slow_performance.py) count the hour; these read the server's own
counters, which run since it started (`uptime_s`), and its limits.
"""

from __future__ import annotations

import pytest

from opscheck import inconclusive

pytestmark = [pytest.mark.runbook("slow-performance", cause="cache-miss"), pytest.mark.health]


def test_redis_answers_ping_quickly(redis, thresholds):
    """Every cached request pays the round trip: a slow PING is a slow cache."""
    limit = thresholds.redis_ping_slow_ms
    assert redis.ping_ms <= limit, (
        f"Redis at {redis.server} answered PING in {redis.ping_ms:.0f} ms (at most {limit:g} ms "
        "expected)"
    )


def test_redis_memory_below_maxmemory(redis, thresholds):
    """At maxmemory Redis evicts keys (they come back as misses) or, with `noeviction`,
    refuses writes."""
    ratio = redis.memory_ratio
    if ratio is None:
        return  # no maxmemory: Redis grows until the host runs out, which the metrics see
    limit = thresholds.redis_memory_ratio
    assert ratio < limit, (
        f"Redis at {redis.server} uses {redis.used_memory / 2**20:.1f} MiB of its maxmemory "
        f"{redis.maxmemory / 2**20:.1f} MiB ({ratio:.0%}, above {limit:.0%}; policy "
        f"{redis.maxmemory_policy}): raise maxmemory or give keys a TTL"
    )


def test_redis_is_not_evicting(redis, thresholds):
    """Evicted keys: Redis is full and drops keys the application then misses."""
    allowed = thresholds.cache_max_evictions
    assert redis.evicted_keys <= allowed, (
        f"Redis at {redis.server} evicted {redis.evicted_keys} keys in its "
        f"{redis.uptime_s / 3600:.1f} h up (at most {allowed} expected; policy "
        f"{redis.maxmemory_policy}): the cache is full"
    )


def test_redis_accepts_clients(redis, thresholds):
    """Rejected connections, or clients near maxclients: the application cannot reach its
    cache and every request goes to the database."""
    assert redis.rejected_connections == 0, (
        f"Redis at {redis.server} rejected {redis.rejected_connections} connections in its "
        f"{redis.uptime_s / 3600:.1f} h up (maxclients {redis.maxclients or 'unknown'})"
    )
    if redis.maxclients is None:
        inconclusive(
            f"Redis at {redis.server} does not say its maxclients (INFO lacks it before Redis 7, "
            f"and CONFIG GET is refused): {redis.connected_clients} clients connected"
        )
    limit = thresholds.redis_clients_ratio
    assert redis.connected_clients < limit * redis.maxclients, (
        f"Redis at {redis.server} has {redis.connected_clients} clients of maxclients "
        f"{redis.maxclients} (above {limit:.0%})"
    )


def test_redis_hit_rate_is_high(redis, thresholds):
    """'Cache miss': hits / (hits + misses) since Redis started."""
    if redis.lookups < thresholds.cache_min_lookups:
        inconclusive(
            f"Redis at {redis.server} has answered {redis.lookups} lookups since it started "
            f"(fewer than {thresholds.cache_min_lookups}): too few for a hit rate"
        )
    rate = redis.hit_rate
    assert rate >= thresholds.cache_min_hit_rate, (
        f"Redis at {redis.server}: hit rate {rate:.0%} ({redis.keyspace_hits} hits, "
        f"{redis.keyspace_misses} misses; at least {thresholds.cache_min_hit_rate:.0%} expected)"
    )
