"""The channel layers, made to hold hundreds of streams in one process.

Channels' InMemoryChannelLayer sweeps every channel and group for expired messages on each
receive and group_send: with 300 streaming sockets that sweep was most of the process's CPU
(measured by bench/concurrency.py). Expiry is measured in seconds, so sweeping at most a few
times a second loses nothing. Redis deployments (REDIS_URL) use channels_redis's layer
instead, with a connection pool that waits when it is busy (WaitingRedisChannelLayer).
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool

SWEEP_INTERVAL_SECONDS = 0.5


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
            return
        self._last_sweep = now
        super()._clean_expired()


# Per process and Redis host. redis-py 8 caps a pool at 100 connections and refuses the next
# call outright: 300 runs starting at once joined their control groups together, and more
# than half of 1,200 answers failed with MaxConnectionsError (bench/scale.py, 600 streams).
REDIS_CONNECTIONS = 100
REDIS_WAIT_S = 20  # a call waits this long for a free connection before it fails


class WaitingRedisChannelLayer(RedisChannelLayer):
    """channels_redis's layer, whose connection pool makes a call wait for a free connection
    when all are busy, instead of refusing it."""

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel: as channels_redis makes it
            return super().create_pool(index)
        address = host.pop("address")
        host.setdefault("max_connections", REDIS_CONNECTIONS)
        host.setdefault("timeout", REDIS_WAIT_S)
        return BlockingConnectionPool.from_url(address, **host)
