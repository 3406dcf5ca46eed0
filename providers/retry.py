"""Retry policy: exponential backoff with full jitter that honours the server's hints."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

MAX_HINTED_DELAY = 60.0  # a Retry-After longer than this is reported, not waited for


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.5
    maximum: float = 8.0
    multiplier: float = 2.0

    def delay(self, attempt: int, hint: float | None = None, rng: random.Random | None = None):
        """Seconds to wait before retry number `attempt` (1-based). A server hint wins."""
        if hint is not None:
            return max(0.0, hint)
        ceiling = min(self.maximum, self.initial * self.multiplier ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)


def retry_after_seconds(headers: httpx.Headers, now: float | None = None) -> float | None:
    """`retry-after-ms` (OpenAI), then `Retry-After` as seconds or an HTTP date."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass  # fall through to Retry-After: a garbled hint is no hint
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass  # not seconds: try an HTTP date below
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def should_retry_header(headers: httpx.Headers) -> bool | None:
    """OpenAI's `x-should-retry: true|false` overrides the status-based decision."""
    value = headers.get("x-should-retry", "").strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    return None
