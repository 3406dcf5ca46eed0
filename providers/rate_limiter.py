"""A token-bucket rate limiter shared by every model object given it (as LangChain's)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from providers.errors import ConfigurationError


class InMemoryRateLimiter:
    """Allows `requests_per_second` on average, bursts up to `max_bucket_size`.

    Tokens accrue continuously; a request takes one token, waiting (checking every
    `check_every_n_seconds`) until one is available. Thread-safe, usable from any event loop.
    """

    def __init__(
        self,
        requests_per_second: float = 1.0,
        check_every_n_seconds: float = 0.1,
        max_bucket_size: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_second <= 0:
            raise ConfigurationError("requests_per_second must be greater than 0.")
        if check_every_n_seconds <= 0:
            raise ConfigurationError("check_every_n_seconds must be greater than 0.")
        if max_bucket_size < 1:
            raise ConfigurationError("max_bucket_size must be at least 1.")
        self.requests_per_second = requests_per_second
        self.check_every_n_seconds = check_every_n_seconds
        self.max_bucket_size = max_bucket_size
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = 0.0  # starts empty, as LangChain's does
        self._last: float | None = None

    @property
    def clock(self) -> Callable[[], float]:
        """The clock its tokens accrue by (`time.monotonic` unless given): what a wait for
        it is measured with."""
        return self._clock

    def _consume(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._last is None:
                self._last = now
            elapsed = now - self._last
            self._last = now
            self._tokens = min(
                self.max_bucket_size, self._tokens + elapsed * self.requests_per_second
            )
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def acquire(self, *, blocking: bool = True) -> bool:
        while not self._consume():
            if not blocking:
                return False
            time.sleep(self.check_every_n_seconds)
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        while not self._consume():
            if not blocking:
                return False
            await asyncio.sleep(self.check_every_n_seconds)
        return True
