"""The Redis channel layer under a burst: more calls at once than its pool has connections
wait for one instead of failing (redis-py 8 refuses the 101st: 300 runs joining their
control groups together lost more than half of 1,200 answers in bench/scale.py)."""

from __future__ import annotations

import asyncio
import uuid

from channels_redis.core import RedisChannelLayer
from redis.exceptions import MaxConnectionsError

from chat.channel_layer import WaitingRedisChannelLayer
from tests.scale.conftest import REDIS_HOST, REDIS_PORT, require

CALLS = 40


def _layer(kind: type, connections: int) -> RedisChannelLayer:
    host = {"address": f"redis://{REDIS_HOST}:{REDIS_PORT}/0", "max_connections": connections}
    return kind(hosts=[host], prefix=f"test-{uuid.uuid4().hex[:8]}")


async def _join_at_once(layer: RedisChannelLayer) -> list[object]:
    channels = [await layer.new_channel() for _ in range(CALLS)]
    try:
        return await asyncio.gather(*(layer.group_add(f"run.{i}", channel)
                                      for i, channel in enumerate(channels)),
                                    return_exceptions=True)  # fmt: skip
    finally:
        await layer.flush()


async def test_a_burst_of_calls_waits_for_the_pools_connections():
    require("Redis", REDIS_PORT)
    results = await _join_at_once(_layer(WaitingRedisChannelLayer, 2))
    assert results == [None] * CALLS


async def test_channels_redis_own_pool_refuses_the_same_burst():
    """What the waiting pool is for: if this passes no more, redis-py waits by itself."""
    require("Redis", REDIS_PORT)
    results = await _join_at_once(_layer(RedisChannelLayer, 2))
    assert any(isinstance(result, MaxConnectionsError) for result in results)
