"""The direct Redis checks on hand-built evidence."""

from __future__ import annotations

import pytest

from opscheck.evidence.redis_info import RedisInfo
from opscheck.outcomes import Inconclusive
from tests.helpers import THRESHOLDS, load_checks

checks = load_checks("test_redis")


def info(**fields: object) -> RedisInfo:
    values: dict[str, object] = {
        "server": "cache:6379/0",
        "version": "7.1.0",
        "ping_ms": 1.2,
        "uptime_s": 7200,
        "used_memory": 10 * 2**20,
        "maxmemory": 100 * 2**20,
        "maxmemory_policy": "allkeys-lru",
        "evicted_keys": 0,
        "rejected_connections": 0,
        "connected_clients": 12,
        "maxclients": 1000,
        "keyspace_hits": 900,
        "keyspace_misses": 100,
    }
    return RedisInfo(**(values | fields))


def test_a_healthy_redis_passes_every_check():
    for check in (
        checks.test_redis_answers_ping_quickly,
        checks.test_redis_memory_below_maxmemory,
        checks.test_redis_is_not_evicting,
        checks.test_redis_accepts_clients,
        checks.test_redis_hit_rate_is_high,
    ):
        check(info(), THRESHOLDS)


@pytest.mark.parametrize(
    ("check", "fields", "says"),
    [
        ("test_redis_answers_ping_quickly", {"ping_ms": 80.0}, "answered PING in 80 ms"),
        ("test_redis_memory_below_maxmemory", {"used_memory": 95 * 2**20}, "95%, above 90%"),
        ("test_redis_is_not_evicting", {"evicted_keys": 12}, "evicted 12 keys"),
        ("test_redis_accepts_clients", {"rejected_connections": 3}, "rejected 3 connections"),
        ("test_redis_accepts_clients", {"connected_clients": 950}, "950 clients of maxclients"),
        ("test_redis_hit_rate_is_high", {"keyspace_hits": 500, "keyspace_misses": 500}, "50%"),
    ],
)
def test_each_limit_fails_its_check(check, fields, says):
    with pytest.raises(AssertionError, match=says):
        getattr(checks, check)(info(**fields), THRESHOLDS)


def test_no_maxmemory_passes_and_an_unknown_maxclients_or_few_lookups_are_inconclusive():
    checks.test_redis_memory_below_maxmemory(info(maxmemory=0), THRESHOLDS)
    with pytest.raises(Inconclusive, match="does not say its maxclients"):
        checks.test_redis_accepts_clients(info(maxclients=None), THRESHOLDS)
    with pytest.raises(Inconclusive, match="too few for a hit rate"):
        checks.test_redis_hit_rate_is_high(info(keyspace_hits=5, keyspace_misses=1), THRESHOLDS)
