"""Typed stream events. Every event that carries visible text has `.text`; joining the
`.text` of a stream's events equals `invoke(...).text`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from providers.errors import ProviderError


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None  # thinking included: it is billed as output
    reasoning_tokens: int | None = None  # of the output, the thinking (where reported)

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    # Gemini's opaque thoughtSignature: replayed verbatim with the call, or thinking models
    # refuse the history (pitfall 11).
    signature: str | None = None


@dataclass(slots=True)
class TextDelta:
    """A piece of the visible answer. (Not frozen: one is made per streamed token, and a
    frozen dataclass's __init__ costs several times more.)"""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning, when the provider streams it (not part of `.text`)."""

    reasoning: str


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """A complete tool call, its arguments assembled from the streamed fragments."""

    tool_call: ToolCall


@dataclass(frozen=True, slots=True)
class UsageEvent:
    usage: Usage


@dataclass(frozen=True, slots=True)
class FinishEvent:
    """The stream ended normally. `finish_reason` is normalised: stop, length, tool_calls,
    content_filter, or the provider's own word when it has no equivalent."""

    finish_reason: str | None
    # The provider's own description of the answer, without its text (id, model, usage as
    # sent, native finish reason...), secrets and base64 redacted. `Response.raw` adds the text.
    raw: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """A retryable error happened before any output; the request is sent again after `delay`
    seconds. Lets a UI say "rate limited, retrying in 2 s" instead of going quiet."""

    attempt: int
    delay: float
    error: ProviderError


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """An attempt's HTTP request is about to be sent (the rate limiter, if any, has let it
    through). Not output: a retryable error after it and before any text is still retried.
    Lets a caller record when each request went out and how long it waited.

    `attempt` is 0 for the first request and n for the one that `RetryEvent(attempt=n)`
    announced; `waited_s` the seconds this attempt waited for the rate limiter (0.0 without
    one); `url` the endpoint without query string, fragment or user info — never a secret."""

    attempt: int
    waited_s: float
    url: str


StreamEvent = (
    TextDelta
    | ReasoningDelta
    | ToolCallEvent
    | UsageEvent
    | FinishEvent
    | RetryEvent
    | RequestEvent
)
