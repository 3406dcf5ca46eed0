"""A run's text and reasoning as they arrive, published in pieces rather than per token.

The first piece goes out at once (time to first token); later ones are held for an interval
and published together; the rest goes out the moment the stream ends, never waiting for a
timer. The interval adapts to load: each run waits PLAYGROUND_STREAM_FLUSH_MS, or longer
when the process streams so many answers that, together, they would publish more than
PLAYGROUND_STREAM_FLUSHES_PER_SECOND pieces (with 300 answers at 2,000 pieces a second, a
piece every 150 ms). Publishing costs the same for one token as for fifty: fewer, larger
pieces are what lets one process relay hundreds of answers on time (bench/concurrency.py).

Each piece carries the character offsets where its text and reasoning start, so a socket
can drop what it already has (after a catch-up, say).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from django.conf import settings

# (text start, text, reasoning start, reasoning) -> published
Publish = Callable[[int, str, int, str], Awaitable[None]]


def interval_seconds(streaming_runs: int) -> float:
    """How long a run holds its pieces while `streaming_runs` stream in this process."""
    base = settings.PLAYGROUND_STREAM_FLUSH_MS / 1000
    return max(base, streaming_runs / settings.PLAYGROUND_STREAM_FLUSHES_PER_SECOND)


class Coalescer:
    def __init__(self, publish: Publish, streaming_runs: Callable[[], int]) -> None:
        self._publish = publish
        self._streaming_runs = streaming_runs
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self.length = 0  # answer characters received
        self.reasoning_length = 0
        self.published = 0  # answer characters published
        self.reasoning_published = 0
        self._last_publish = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._publishing: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        if len(self._text) > 1:
            self._text = ["".join(self._text)]
        return self._text[0] if self._text else ""

    @property
    def reasoning(self) -> str:
        if len(self._reasoning) > 1:
            self._reasoning = ["".join(self._reasoning)]
        return self._reasoning[0] if self._reasoning else ""

    @property
    def pending(self) -> bool:
        return self.published < self.length or self.reasoning_published < self.reasoning_length

    async def add(self, text: str, reasoning: str = "") -> None:
        if text:
            self._text.append(text)
            self.length += len(text)
        if reasoning:
            self._reasoning.append(reasoning)
            self.reasoning_length += len(reasoning)
        if self._timer is not None or self._busy():
            return  # a publish is due or under way; this piece rides with the next one
        delay = self._last_publish + interval_seconds(self._streaming_runs()) - time.monotonic()
        if delay > 0:
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)
            return
        # Due now (the first piece, or a pause longer than the interval): publish inline.
        first = self.published == 0 and self.reasoning_published == 0
        await self._publish_pending()
        if first:
            # The sockets need a few loop turns to put it on the wire; a millisecond's pause
            # gives them those turns before the parser takes the loop for the next chunk.
            await asyncio.sleep(0.001)

    async def flush(self) -> None:
        """Publish everything held, now: the stream ended (or was stopped)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._busy():
            await asyncio.wait([self._publishing])  # never cancelled: it may be mid-send
        await self._publish_pending()

    def _busy(self) -> bool:
        return self._publishing is not None and not self._publishing.done()

    def _due(self) -> None:
        self._timer = None
        self._publishing = asyncio.get_running_loop().create_task(self._publish_then_rearm())

    async def _publish_then_rearm(self) -> None:
        await self._publish_pending()
        if self.pending and self._timer is None:
            # Pieces arrived while this one was being sent: they are due an interval later,
            # not whenever the next token happens to come.
            delay = interval_seconds(self._streaming_runs())
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    async def _publish_pending(self) -> None:
        if not self.pending:
            return
        start, reasoning_start = self.published, self.reasoning_published
        text, reasoning = self.text[start:], self.reasoning[reasoning_start:]
        self.published, self.reasoning_published = self.length, self.reasoning_length
        self._last_publish = time.monotonic()
        await self._publish(start, text, reasoning_start, reasoning)
