"""OpenAI Chat Completions over SSE: `openai` and any `openai_compatible` server.

Request building, the streaming parser and one HTTP attempt. Retries, rate limiting and
collecting live in `chat_model.BaseChatModel`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson

from providers.capabilities import CAPABILITIES
from providers.chat_model import BaseChatModel
from providers.errors import (
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    ProviderError,
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
from providers.tools import function_tools, safe_name, tool_arguments

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",  # some local servers
}
METADATA_KEYS = ("id", "object", "created", "model", "system_fingerprint", "service_tier")
# Base URLs whose server refused `stream_options`: they are asked without it from then on.
_REJECTS_STREAM_OPTIONS: set[str] = set()


# The audio Chat Completions takes, by media type: wav and mp3 only (pitfall 18).
OPENAI_AUDIO_FORMATS = {"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
                        "audio/mpeg": "mp3", "audio/mp3": "mp3"}  # fmt: skip


def encode_message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
    if message.role == "assistant":
        # "" rather than null when only tool calls are carried: llama-cpp-python and other
        # strict servers refuse a null content, and OpenAI, vLLM and llama.cpp take "".
        encoded: dict[str, Any] = {"role": "assistant", "content": message.text}
        if message.tool_calls:
            encoded["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for call in message.tool_calls
            ]
        return encoded
    if not message.attachments:
        return {"role": message.role, "content": message.text}
    parts: list[dict[str, Any]] = []
    if message.text:
        parts.append({"type": "text", "text": message.text})
    for attachment in message.attachments:
        data = base64.b64encode(attachment.data).decode("ascii")
        if isinstance(attachment, Image):
            image_url: dict[str, Any] = {"url": f"data:{attachment.media_type};base64,{data}"}
            if attachment.detail:
                image_url["detail"] = attachment.detail
            parts.append({"type": "image_url", "image_url": image_url})
        elif isinstance(attachment, Audio):
            audio_format = OPENAI_AUDIO_FORMATS.get(attachment.media_type, "wav")
            parts.append(
                {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
            )
    return {"role": message.role, "content": parts}


class OpenAIStreamState:
    """Turns Chat Completions chunks into events; knows whether `[DONE]` has arrived."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.done = False
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self._calls: dict[str, dict[str, Any]] = {}
        self._call_by_index: dict[int, str] = {}
        self._current_call: str | None = None
        self.chunks_seen = 0
        self.metadata: dict[str, Any] = {}

    def handle(self, data: str) -> list[StreamEvent]:
        if data.strip() == "[DONE]":
            self.done = True
            return self._finish()
        try:
            chunk = orjson.loads(data)  # once per streamed token: the relay's hottest call
        except ValueError as error:
            raise MalformedResponseError(
                f"The server sent a stream chunk that is not JSON: {clip(data, 120)!r}.",
                provider=self.provider,
            ) from error
        if not isinstance(chunk, dict):
            raise MalformedResponseError(
                f"The server sent an unexpected stream chunk: {clip(data, 120)!r}.",
                provider=self.provider,
            )
        if chunk.get("error"):
            raise error_from_stream_payload(chunk, provider=self.provider)
        if self.chunks_seen == 0:
            self.metadata = {key: chunk[key] for key in METADATA_KEYS if key in chunk}
        self.chunks_seen += 1
        usage = chunk.get("usage") or (chunk.get("x_groq") or {}).get("usage")
        if isinstance(usage, dict):
            details = usage.get("completion_tokens_details") or {}
            self.usage = Usage(usage.get("prompt_tokens"), usage.get("completion_tokens"),
                               details.get("reasoning_tokens") if isinstance(details, dict)
                               else None)  # fmt: skip
            self.metadata["usage"] = usage
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or ():  # the usage chunk has `choices: []`
            if choice.get("index", 0) != 0:
                continue  # n > 1 is not requested; ignore stray choices
            events.extend(self._delta(choice.get("delta") or choice.get("message") or {}))
            reason = choice.get("finish_reason")
            if reason:
                self.finish_reason = FINISH_REASONS.get(reason, reason)
                self.metadata["finish_reason"] = reason
        return events

    def _delta(self, delta: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            events.append(ReasoningDelta(reasoning))
        content = delta.get("content")
        if isinstance(content, str) and content:
            events.append(TextDelta(content))
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            events.append(TextDelta(refusal))
            self.finish_reason = "content_filter"
        for fragment in delta.get("tool_calls") or ():
            self._tool_fragment(fragment)
        return events

    def _tool_fragment(self, fragment: dict[str, Any]) -> None:
        """Route by id when present, else by index, else to the current call (pitfall 1)."""
        function = fragment.get("function") or {}
        call_id = fragment.get("id")
        index = fragment.get("index")
        if call_id and call_id not in self._calls:
            self._calls[call_id] = {"id": call_id, "name": "", "arguments": ""}
        elif not call_id:
            call_id = self._call_by_index.get(index) if index is not None else None
            call_id = call_id or self._current_call
            if call_id is None:
                call_id = f"call_{len(self._calls)}"
                self._calls[call_id] = {"id": call_id, "name": "", "arguments": ""}
        if index is not None:
            self._call_by_index[index] = call_id
        self._current_call = call_id
        call = self._calls[call_id]
        if function.get("name"):
            call["name"] = function["name"]
        arguments = function.get("arguments")
        if isinstance(arguments, dict):  # some servers send an object, not a string
            call["arguments"] = json.dumps(arguments)
        elif isinstance(arguments, str):
            call["arguments"] += arguments

    def _finish(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for call in self._calls.values():
            arguments = tool_arguments(call["name"], call["arguments"], provider=self.provider)
            events.append(ToolCallEvent(ToolCall(call["id"], call["name"], arguments)))
        if self.usage is not None:
            events.append(UsageEvent(self.usage))
        events.append(FinishEvent(self.finish_reason, raw=redact(self.metadata)))
        return events


class OpenAIChatModel(BaseChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @property
    def endpoint(self) -> str:
        return self.config.base_url.rstrip("/") + "/chat/completions"

    def headers(self) -> dict[str, str]:
        return {
            "Accept": "text/event-stream",
            "Content-Type": "application/json",
            **self.auth_headers(self.config.api_key),
        }

    def check_audio(self, messages: list[Message]) -> None:
        """Chat Completions takes wav or mp3 only, and not at all on Groq or the HF router
        (pitfall 18): refused here, before any request, instead of a vague 400."""
        for message in messages:
            for attachment in message.attachments:
                if not isinstance(attachment, Audio):
                    continue
                if not CAPABILITIES[self.config.provider].audio:
                    raise UnsupportedFeatureError(
                        f"{self.config.provider} takes no audio in chat; send it to an OpenAI, "
                        "Azure OpenAI or Gemini model instead.",
                        provider=self.config.provider,
                    )
                if attachment.media_type not in OPENAI_AUDIO_FORMATS:
                    raise UnsupportedFeatureError(
                        f"Chat Completions takes wav or mp3 audio, not {attachment.media_type}; "
                        "convert it first.",
                        provider=self.config.provider,
                    )

    def build_body(self, messages: list[Message], *, include_usage: bool = True) -> dict[str, Any]:
        config = self.config
        self.check_audio(messages)
        body: dict[str, Any] = {
            "model": config.model,
            "messages": [encode_message(message) for message in messages],
            "stream": True,
        }
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        if config.temperature is not None:
            body["temperature"] = config.temperature
        if config.top_p is not None:
            body["top_p"] = config.top_p
        if config.max_tokens is not None:
            # OpenAI's reasoning models refuse the legacy name; local servers know only it.
            openai_itself = config.provider in ("openai", "azure_openai")
            field = "max_completion_tokens" if openai_itself else "max_tokens"
            body[field] = config.max_tokens
        if config.stop:
            body["stop"] = list(config.stop)
        if config.seed is not None:
            body["seed"] = config.seed
        if config.tools:
            body["tools"] = function_tools(config.tools)
            choice = config.tool_choice or "auto"
            body["tool_choice"] = (
                choice if choice in ("auto", "required", "none")
                else {"type": "function", "function": {"name": choice}}
            )  # fmt: skip
        extra = dict(config.extra)
        style = extra.pop("json_schema_style", "openai")
        if config.output is not None and style == "tgi":
            # Hugging Face TGI's grammar shape (pitfall 28).
            body["response_format"] = {"type": "json", "value": config.output.schema}
        elif config.output is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": safe_name(config.output.name), "schema": config.output.schema}}  # fmt: skip
        body.update(extra)
        return body

    def check_parameters(self) -> None:
        style = self.config.extra.get("json_schema_style", "openai")
        if style not in ("openai", "tgi"):
            raise ConfigurationError("json_schema_style is 'openai' or 'tgi'.")
        if style == "tgi" and self.config.tools and self.config.output is not None:
            raise ConfigurationError(
                "TGI cannot use tools and a response format in one request; use one of them."
            )

    async def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        base = self.config.base_url
        include_usage = base not in _REJECTS_STREAM_OPTIONS
        try:
            async for batch in self._request(messages, include_usage=include_usage):
                yield batch
        except BadRequestError as error:
            if not (include_usage and _mentions_stream_options(error)):
                raise
            _REJECTS_STREAM_OPTIONS.add(base)
            async for batch in self._request(messages, include_usage=False):
                yield batch

    async def _request(
        self, messages: list[Message], *, include_usage: bool
    ) -> AsyncIterator[list[StreamEvent]]:
        body = json.dumps(self.build_body(messages, include_usage=include_usage)).encode()
        decoder = OpenAIDecoder(self.config.provider)
        async for batch in post_stream(self, self.endpoint, body, self.headers(), decoder):
            yield batch


class OpenAIDecoder:
    """SSE chunks to events, ending at `data: [DONE]`. A server that ignored `stream: true`
    and answered one JSON object is understood too (its body starts with `{`)."""

    cut_message = (
        "The stream ended before the server said it was finished (no [DONE]); the answer may "
        "be cut short. Try again; if it keeps happening the server or a proxy is dropping "
        "the connection."
    )

    def __init__(self, provider: str) -> None:
        self.parser = SSEParser()
        self.state = OpenAIStreamState(provider)
        self.whole: bytearray | None = None  # set when the body turns out to be plain JSON
        self.parser_started = False

    @property
    def done(self) -> bool:
        return self.state.done

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        if self.whole is None and not self.parser_started and chunk.lstrip()[:1] == b"{":
            self.whole = bytearray()
        if self.whole is not None:
            self.whole += chunk
            return
        self.parser_started = True
        yield from self._events(self.parser.feed(chunk))

    def close(self) -> Iterator[StreamEvent]:
        if self.whole is not None:
            yield from self.state.handle(self.whole.decode("utf-8", errors="replace"))
            yield from self.state.handle("[DONE]")
            return
        yield from self._events(self.parser.close())

    def _events(self, sse_events) -> Iterator[StreamEvent]:  # type: ignore[no-untyped-def]
        for sse in sse_events:
            yield from self.state.handle(sse.data)
            if self.state.done:
                return


def _mentions_stream_options(error: ProviderError) -> bool:
    text = f"{error.message} {error.body or ''}".lower()
    return "stream_options" in text or "include_usage" in text


__all__ = ["OpenAIChatModel", "OpenAIStreamState", "encode_message"]
