"""An in-process scripted chat model with the same `astream` face as a providers model."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from connections import llm
from providers import Usage


@dataclass
class FakeConfig:
    max_retries: int = 2
    output: Any = None  # no structured output
    api_key: str | None = None
    base_url: str = "http://127.0.0.1:9/v1"
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeChatModel:
    """Yields `pieces` as text deltas (with `delay` between them), then usage and finish.

    `gate`: an asyncio.Event awaited after `gate_after` pieces. `fail`: an exception raised
    after `fail_after` pieces. `retries`: RetryEvents sent before the first piece. Records
    what it was sent and whether its stream was closed early (cancelled).
    """

    pieces: list[str] = field(default_factory=lambda: ["Hello", " world"])
    reasoning: list[str] = field(default_factory=list)  # thought before the answer
    delay: float = 0.0
    gate: asyncio.Event | None = None
    gate_after: int = 0
    tail: asyncio.Event | None = None  # awaited after the finish, before the stream ends
    fail: BaseException | None = None
    fail_after: int = 0
    retries: int = 0
    usage: Usage | None = field(default_factory=lambda: Usage(input_tokens=7, output_tokens=2))
    config: FakeConfig = field(default_factory=FakeConfig)
    received: list[Any] = field(default_factory=list)  # what the latest stream was sent
    every_call: list[list[Any]] = field(default_factory=list)  # what each stream was sent
    closed_early: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in (self.config.api_key, *self.config.secrets.values()) if v)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    async def astream_batches(self, messages: list[Any]):
        """Each event in a batch of its own, as a slow network would deliver them."""
        async for event in self.astream(messages):
            yield [event]

    async def astream(self, messages: list[Any]):
        self.received = list(messages)
        self.every_call.append(self.received)
        self.started.set()
        finished = False
        try:
            for attempt in range(1, self.retries + 1):
                error = llm.RateLimitError("Rate limited by the provider (HTTP 429): slow down.")
                yield llm.RetryEvent(attempt=attempt, delay=0.0, error=error)
            for thought in self.reasoning:
                yield llm.ReasoningDelta(thought)
            for index, piece in enumerate(self.pieces):
                if self.gate is not None and index == self.gate_after:
                    await self.gate.wait()
                if self.fail is not None and index == self.fail_after:
                    raise self.fail
                yield llm.TextDelta(piece)
                if self.delay:
                    await asyncio.sleep(self.delay)
            if self.fail is not None and self.fail_after >= len(self.pieces):
                raise self.fail
            if self.usage is not None:
                yield llm.UsageEvent(self.usage)
            yield llm.FinishEvent("stop")
            if self.tail is not None:
                await self.tail.wait()  # the rest of the body (end marker) is slow to come
            finished = True
        finally:
            if not finished and self.fail is None:
                self.closed_early = True
