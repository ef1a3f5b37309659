"""Evidence from inside Redis: a timed PING and the counters of INFO.

Optional, as the database's direct read is: `[redis] url_env` names the variable holding
the URL of the Redis the service caches in. Only PING, INFO and, where INFO lacks
`maxclients` (Redis before 7), `CONFIG GET maxclients` are sent; nothing is written.
ElastiCache refuses CONFIG: then the client limit is unknown and said so.

INFO's counters (evicted keys, rejected connections, hits and misses) count since the
server started or its statistics were last reset, so `uptime_s` says over how long.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from opscheck.evidence.base import Context, Model, SourceUnavailable, source


class RedisInfo(Model):
    server: str  # host:port/db, never the password
    version: str
    ping_ms: float
    uptime_s: int
    used_memory: int
    maxmemory: int  # 0: no limit
    maxmemory_policy: str
    evicted_keys: int
    rejected_connections: int
    connected_clients: int
    maxclients: int | None = None  # None: neither INFO nor CONFIG GET tells
    keyspace_hits: int
    keyspace_misses: int

    @property
    def memory_ratio(self) -> float | None:
        return self.used_memory / self.maxmemory if self.maxmemory else None

    @property
    def lookups(self) -> int:
        return self.keyspace_hits + self.keyspace_misses

    @property
    def hit_rate(self) -> float | None:
        return self.keyspace_hits / self.lookups if self.lookups else None


def describe(url: str) -> str:
    """Where a Redis URL points, as `host:port/db`: what messages may name."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"
    except ValueError:
        return "(a URL that is not a redis:// URL)"


PINGS = 3  # the best of them: the round trip, not this process's thread scheduling


def _timed_ping(client: Any) -> float:
    started = time.perf_counter()
    client.ping()
    return (time.perf_counter() - started) * 1000


def _maxclients(client: Any, info: dict[str, Any]) -> int | None:
    import redis

    if "maxclients" in info:
        return int(info["maxclients"])
    try:
        return int(client.config_get("maxclients")["maxclients"])
    except (redis.ResponseError, KeyError, ValueError):
        return None  # CONFIG is disabled (ElastiCache) or denied to this user


@source("redis")
def redis_info(ctx: Context) -> RedisInfo:
    """Inside Redis: PING round trip, memory against maxmemory, evictions, clients, hit rate."""
    import redis

    config = ctx.target.redis
    url = ctx.direct_url(
        "redis",
        "pip install -e '.[simulate]' (Python 3.11, Linux x86_64) or apt-get install redis-server",
    )
    assert config is not None
    server = describe(url)
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=config.connect_timeout_s,
            socket_timeout=config.connect_timeout_s,
            retry_on_timeout=False,
        )
    except ValueError as error:
        raise SourceUnavailable(f"[redis] url_env: not a Redis URL ({error})") from None
    try:
        with client:
            client.ping()  # connects: the round trips below are the cache's, not the handshake
            ping_ms = min(_timed_ping(client) for _ in range(PINGS))
            info = client.info()
            maxclients = _maxclients(client, info)
    except redis.AuthenticationError as error:
        if not urlsplit(url).password:
            raise SourceUnavailable(
                f"Redis at {server} demands a password (Authentication required), and "
                "[redis] url_env's URL has none: redis://:PASSWORD@host:6379/0"
            ) from None
        raise SourceUnavailable(
            f"Redis at {server} refused the password: {error} (check [redis] url_env's URL)"
        ) from None
    except redis.ResponseError as error:
        # NOAUTH: the URL has no password, and this Redis demands one.
        raise SourceUnavailable(
            f"Redis at {server} refused: {error} (a Redis with AUTH needs its password in "
            "[redis] url_env's URL: redis://:PASSWORD@host:6379/0)"
        ) from None
    except redis.RedisError as error:
        raise SourceUnavailable(
            f"could not reach Redis at {server}: {error} (check [redis] url_env's URL and "
            "that this runner reaches it)"
        ) from None
    return RedisInfo(
        server=server,
        version=str(info.get("redis_version", "?")),
        ping_ms=round(ping_ms, 3),
        uptime_s=int(info.get("uptime_in_seconds", 0)),
        used_memory=int(info["used_memory"]),
        maxmemory=int(info.get("maxmemory", 0)),
        maxmemory_policy=str(info.get("maxmemory_policy", "?")),
        evicted_keys=int(info.get("evicted_keys", 0)),
        rejected_connections=int(info.get("rejected_connections", 0)),
        connected_clients=int(info.get("connected_clients", 0)),
        maxclients=maxclients,
        keyspace_hits=int(info.get("keyspace_hits", 0)),
        keyspace_misses=int(info.get("keyspace_misses", 0)),
    )
