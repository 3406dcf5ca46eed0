"""The in-memory channel layer, made to hold hundreds of streams in one process.

Channels' InMemoryChannelLayer sweeps every channel and group for expired messages on each
receive and group_send: with 300 streaming sockets that sweep was most of the process's CPU
(measured by bench/concurrency.py). Expiry is measured in seconds, so sweeping at most a few
times a second loses nothing. Redis deployments (REDIS_URL) do not use this class.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL_SECONDS = 0.5


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
            return
        self._last_sweep = now
        super()._clean_expired()
