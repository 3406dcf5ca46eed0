"""Anthropic Messages over SSE with named events (`anthropic`).

Differences from OpenAI that matter here: the system prompt is a top-level field,
`max_tokens` is required, there is no seed, new models refuse temperature and top_p
together, usage arrives in message_start (input) and message_delta (cumulative output) and
is passed on as it comes (a stopped answer still knows its input tokens), a stream ends with
`message_stop` (no [DONE]), and errors can arrive as `event: error` after HTTP 200. The base
URL is taken with or without `/v1`, as the Anthropic SDK takes ANTHROPIC_BASE_URL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson

from providers.chat_model import BaseChatModel
from providers.errors import (
    ConfigurationError,
    MalformedResponseError,
    UnsupportedFeatureError,
)
from providers.events import (
    FinishEvent,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    Usage,
    UsageEvent,
)
from providers.http_errors import (
    error_from_stream_payload,
)
from providers.messages import Audio, Image, Message
from providers.redact import redact
from providers.secrets import clip
from providers.sse import SSEParser
from providers.streaming import post_stream
from providers.tools import safe_name, tool_arguments

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # the API requires one; this is what is sent when none was chosen
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "model_context_window_exceeded": "length",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def encode_content(message: Message) -> str | list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": message.text}
        ]
    blocks: list[dict[str, Any]] = []
    for attachment in message.attachments:
        if isinstance(attachment, Audio):
            raise UnsupportedFeatureError(
                "Anthropic models cannot take audio; send it to an OpenAI audio model or Gemini.",
                provider="anthropic",
            )
        if isinstance(attachment, Image):
            if attachment.media_type not in IMAGE_TYPES:
                raise UnsupportedFeatureError(
                    f"Anthropic takes JPEG, PNG, GIF or WebP images, not {attachment.media_type}.",
                    provider="anthropic",
                )
            data = base64.b64encode(attachment.data).decode("ascii")
            source = {"type": "base64", "media_type": attachment.media_type, "data": data}
            blocks.append({"type": "image", "source": source})
    if message.text:
        blocks.append({"type": "text", "text": message.text})
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        )
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return message.text
    return blocks


class AnthropicStreamState:
    """Named events → events; `done` once `message_stop` has arrived."""

    def __init__(self) -> None:
        self.done = False
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.finish_reason: str | None = None
        self.metadata: dict[str, Any] = {}
        self._tools: dict[int, dict[str, Any]] = {}

    def handle(self, event: str, data: str) -> list[StreamEvent]:
        try:
            payload = orjson.loads(data)
        except ValueError as error:
            raise MalformedResponseError(
                f"The server sent a stream event that is not JSON: {clip(data, 120)!r}.",
                provider="anthropic",
            ) from error
        kind = payload.get("type") or event
        if kind == "content_block_delta":
            delta = payload.get("delta") or {}
            delta_type = delta.get("type")
            if delta_type == "text_delta" and delta.get("text"):
                return [TextDelta(delta["text"])]
            if delta_type == "thinking_delta" and delta.get("thinking"):
                return [ReasoningDelta(delta["thinking"])]
            if delta_type == "input_json_delta":
                tool = self._tools.get(payload.get("index", -1))
                if tool is not None:
                    tool["json"] += delta.get("partial_json", "")
            return []
        if kind == "content_block_start":
            block = payload.get("content_block") or {}
            if block.get("type") == "tool_use":
                self._tools[payload.get("index", len(self._tools))] = {
                    "id": block.get("id", ""), "name": block.get("name", ""), "json": "",
                }  # fmt: skip
            elif block.get("type") == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            return []
        if kind == "content_block_stop":
            tool = self._tools.pop(payload.get("index", -1), None)
            return [self._tool_call(tool)] if tool is not None else []
        if kind == "message_start":
            message = payload.get("message") or {}
            usage = message.get("usage") or {}
            self.metadata = {k: message[k] for k in ("id", "model", "type") if k in message}
            self.input_tokens = sum(
                usage.get(field) or 0
                for field in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
            ) if usage else None  # fmt: skip
            self.output_tokens = usage.get("output_tokens")
            return self._usage_so_far()
        if kind == "message_delta":
            reason = (payload.get("delta") or {}).get("stop_reason")
            if reason:
                self.finish_reason = STOP_REASONS.get(reason, reason)
                self.metadata["stop_reason"] = reason
            usage = payload.get("usage") or {}
            if usage.get("output_tokens") is None:
                return []
            self.output_tokens = usage["output_tokens"]  # cumulative: the last one wins
            return self._usage_so_far()
        if kind == "message_stop":
            self.done = True
            return self._finish()
        if kind == "error":
            raise error_from_stream_payload(payload, provider="anthropic")
        return []  # ping and event types added later

    def _tool_call(self, tool: dict[str, Any]) -> ToolCallEvent:
        arguments = tool_arguments(tool["name"], tool["json"], provider="anthropic")
        return ToolCallEvent(ToolCall(tool["id"], tool["name"], arguments))

    def _usage_so_far(self) -> list[StreamEvent]:
        """Usage as soon as it is reported, so an answer stopped early still shows it."""
        if self.input_tokens is None and self.output_tokens is None:
            return []
        return [UsageEvent(Usage(self.input_tokens, self.output_tokens))]

    def _finish(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self.input_tokens is not None or self.output_tokens is not None:
            usage = {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}
            self.metadata["usage"] = usage
            events.append(UsageEvent(Usage(self.input_tokens, self.output_tokens)))
        events.append(FinishEvent(self.finish_reason, raw=redact(self.metadata)))
        return events


class AnthropicChatModel(BaseChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    @classmethod
    def normalise_base_url(cls, base_url: str) -> str:
        """`…/v1` whether given with it (this layer's habit) or without (the Anthropic SDK's,
        LangChain's and most tools' ANTHROPIC_BASE_URL=http://127.0.0.1:8080)."""
        url = base_url.rstrip("/")
        return url if url.endswith("/v1") else url + "/v1"

    @classmethod
    def models_url(cls, base_url: str) -> str:
        return cls.normalise_base_url(base_url) + "/models"

    @property
    def endpoint(self) -> str:
        return self.normalise_base_url(self.config.base_url) + "/messages"

    def check_parameters(self) -> None:
        config = self.config
        if config.seed is not None:
            raise ConfigurationError("Anthropic models take no seed; leave Seed empty.")
        if config.temperature is not None and config.top_p is not None:
            raise ConfigurationError(
                "Recent Anthropic models refuse temperature and top_p together; set only one."
            )

    def build_body(self, messages: list[Message]) -> dict[str, Any]:
        config = self.config
        system_text = "\n\n".join(m.text for m in messages if m.role == "system" and m.text)
        turns = [
            {"role": "user" if m.role == "tool" else m.role, "content": encode_content(m)}
            for m in messages
            if m.role != "system"
        ]
        body: dict[str, Any] = {
            "model": config.model,
            "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": turns,
            "stream": True,
        }
        if system_text:
            body["system"] = system_text
        if config.temperature is not None:
            body["temperature"] = config.temperature
        if config.top_p is not None:
            body["top_p"] = config.top_p
        if config.stop:
            body["stop_sequences"] = list(config.stop)
        tools = [{"name": t.name, "description": t.description, "input_schema": t.parameters}
                 for t in config.tools]  # fmt: skip
        choice = config.tool_choice or "auto"
        if config.output is not None:
            # Structured output as a forced tool call: works on every Claude model and cloud.
            name = safe_name(config.output.name)
            tools.append({"name": name, "description": "Give the answer in this shape.",
                          "input_schema": config.output.schema})  # fmt: skip
            choice = name
        if tools:
            body["tools"] = tools
            body["tool_choice"] = (
                {"type": {"required": "any"}.get(choice, choice)}
                if choice in ("auto", "required", "none")
                else {"type": "tool", "name": choice}
            )
        body.update(config.extra)
        return body

    def structured_text(self, response: Any) -> str:
        name = safe_name(self.config.output.name) if self.config.output else ""
        for call in response.tool_calls:
            if call.name == name:
                return json.dumps(call.arguments)
        return response.text

    def headers(self) -> dict[str, str]:
        return {"content-type": "application/json", "accept": "text/event-stream",
                **self.auth_headers(self.config.api_key)}  # fmt: skip

    async def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        body = orjson.dumps(self.build_body(messages))
        async for batch in post_stream(
            self, self.endpoint, body, self.headers(), AnthropicDecoder()
        ):
            yield batch


class AnthropicDecoder:
    cut_message = (
        "The stream ended before Anthropic's message_stop; the answer may be cut short "
        "(an overloaded server often ends streams this way). Try again."
    )

    def __init__(self) -> None:
        self.parser = SSEParser()
        self.state = AnthropicStreamState()

    @property
    def done(self) -> bool:
        return self.state.done

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        yield from self._events(self.parser.feed(chunk))

    def close(self) -> Iterator[StreamEvent]:
        yield from self._events(self.parser.close())

    def _events(self, sse_events) -> Iterator[StreamEvent]:  # type: ignore[no-untyped-def]
        for sse in sse_events:
            yield from self.state.handle(sse.event, sse.data)
            if self.state.done:
                return
