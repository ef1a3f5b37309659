"""The redis source against a real redis-server the tests start."""

from __future__ import annotations

import pytest
import redis as redis_py

from opscheck.evidence import Unavailable, gather
from opscheck.evidence.redis_info import RedisInfo
from opscheck.simulator import servers
from opscheck.target import RedisConfig, Target, remember_password
from tests.conftest import started
from tests.helpers import SIMULATED, context, unused_port

PASSWORD = "Redis-Auth-Pass-42"  # the test server's own


def target() -> Target:
    config = RedisConfig(url_env="OPSCHECK_TEST_REDIS", connect_timeout_s=2.0)
    return SIMULATED.model_copy(update={"redis": config, "simulator": None})


def read(url: str, monkeypatch: pytest.MonkeyPatch) -> RedisInfo | Unavailable:
    monkeypatch.setenv("OPSCHECK_TEST_REDIS", url)
    remember_password(url)
    ctx = context(target(), f"http://127.0.0.1:{unused_port()}")
    return gather(["redis"], ctx).values["redis"]


def test_reads_memory_clients_and_hits(redis_url, monkeypatch):
    with redis_py.Redis.from_url(redis_url) as client:
        client.config_resetstat()
        client.set("k", "v")
        client.get("k")
        client.get("absent")
    info = read(redis_url, monkeypatch)
    assert isinstance(info, RedisInfo), info
    assert (info.keyspace_hits, info.keyspace_misses) == (1, 1) and info.hit_rate == 0.5
    assert info.maxclients and info.maxclients > info.connected_clients >= 1
    assert info.used_memory > 0 and info.ping_ms > 0


@pytest.fixture(scope="module")
def guarded() -> str:
    """A redis-server that demands AUTH."""
    server = started(servers.start_redis, requirepass=PASSWORD)
    yield server.url
    server.stop()


def test_a_redis_that_demands_auth_is_inconclusive(guarded, monkeypatch):
    value = read(guarded, monkeypatch)
    assert isinstance(value, Unavailable) and not value.not_configured
    assert "Redis at 127.0.0.1:" in value.reason and "Authentication required" in value.reason
    assert "redis://:PASSWORD@" in value.reason


def test_a_wrong_password_is_inconclusive_and_never_shown(guarded, monkeypatch):
    wrong = "Not-The-Redis-Password"
    value = read(guarded.replace("redis://", f"redis://:{wrong}@"), monkeypatch)
    assert isinstance(value, Unavailable)
    assert "refused the password" in value.reason and wrong not in value.reason


def test_the_right_password_reads(guarded, monkeypatch):
    value = read(guarded.replace("redis://", f"redis://:{PASSWORD}@"), monkeypatch)
    assert isinstance(value, RedisInfo) and PASSWORD not in value.server


def test_an_unreachable_redis_is_inconclusive(monkeypatch):
    value = read(f"redis://:{PASSWORD}@127.0.0.1:{unused_port()}/0", monkeypatch)
    assert isinstance(value, Unavailable)
    assert "could not reach Redis at 127.0.0.1:" in value.reason and PASSWORD not in value.reason
