"""The result of `invoke`: the collected stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.events import ToolCall, Usage
from providers.messages import Message, assistant


@dataclass(slots=True)
class Response:
    text: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    parsed: Any = None
    retries: int = 0
    # Seconds spent waiting for the rate limiter, over every attempt.
    rate_limit_wait_s: float = 0.0
    # The provider's JSON (or the stream's chunks), secrets and base64 data redacted.
    raw: Any = None

    @property
    def message(self) -> Message:
        """The assistant message, tool calls included, ready to append to the history."""
        return assistant(self.text, self.tool_calls)
