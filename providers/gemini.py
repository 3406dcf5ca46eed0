"""Google's Gemini API (`google_genai`): generateContent over SSE (`alt=sse`).

Roles are `user` and `model`, the system prompt is `systemInstruction`, parameters live in
`generationConfig` (camelCase), media are `inlineData` with bare base64, every event is a
whole GenerateContentResponse carrying only the new text, there is no [DONE] (the event with
a finishReason is the end, its `usageMetadata` passed on as each event brings it), a blocked
prompt has no candidates, and `finishReason` stays STOP when the model calls a function. The
base URL is taken with or without its API version, as the google-genai SDK takes it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import orjson

from providers.chat_model import BaseChatModel
from providers.errors import BadRequestError, MalformedResponseError
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
from providers.http_errors import error_from_stream_payload
from providers.messages import Attachment, Message, with_tool_names
from providers.redact import redact
from providers.secrets import clip
from providers.sse import SSEParser
from providers.streaming import post_stream
from providers.tools import tool_arguments

FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length"}
FILTERED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s$")
_API_VERSION = re.compile(r"/v\d+(?:alpha|beta)?\d*$")


# Gemini's documented names where they differ from the registered media type.
GEMINI_MIME_TYPES = {"audio/mpeg": "audio/mp3"}


def _inline(attachment: Attachment) -> dict[str, Any]:
    data = base64.b64encode(attachment.data).decode("ascii")
    mime_type = GEMINI_MIME_TYPES.get(attachment.media_type, attachment.media_type)
    return {"inlineData": {"mimeType": mime_type, "data": data}}


def encode_contents(messages: list[Message]) -> list[dict[str, Any]]:
    contents: list[dict[str, Any]] = []
    for message in with_tool_names(messages):
        if message.role == "system":
            continue
        if message.role == "tool":
            response = {"name": message.tool_name or "", "response": {"result": message.text}}
            if message.tool_call_id:
                response["id"] = message.tool_call_id
            contents.append({"role": "user", "parts": [{"functionResponse": response}]})
            continue
        parts: list[dict[str, Any]] = [_inline(a) for a in message.attachments]
        if message.text:
            parts.append({"text": message.text})
        for call in message.tool_calls:
            part = {"functionCall": {"name": call.name, "args": call.arguments, "id": call.id}}
            if call.signature:
                part["thoughtSignature"] = call.signature  # verbatim, as Gemini gave it
            parts.append(part)
        role = "model" if message.role == "assistant" else "user"
        contents.append({"role": role, "parts": parts or [{"text": ""}]})
    return contents


def retry_delay(body: str) -> float | None:
    """google.rpc.RetryInfo's retryDelay ("37s"), the only retry hint a Gemini 429 carries."""
    try:
        details = orjson.loads(body)["error"].get("details") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    for detail in details:
        match = _DURATION.match(str(detail.get("retryDelay", "")))
        if match:
            return float(match.group(1))
    return None


class GeminiStreamState:
    def __init__(self) -> None:
        self.done = False
        self.usage: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self._calls = 0

    def handle(self, data: str) -> list[StreamEvent]:
        try:
            chunk = orjson.loads(data)
        except ValueError as error:
            raise MalformedResponseError(
                f"Gemini sent an event that is not JSON: {clip(data, 120)!r}.",
                provider="google_genai",
            ) from error
        if isinstance(chunk, list):  # errors on the stream endpoint may come wrapped in [...]
            chunk = chunk[0] if chunk else {}
        if chunk.get("error"):
            raise error_from_stream_payload(chunk, provider="google_genai")
        self.usage = chunk.get("usageMetadata") or self.usage
        for key in ("modelVersion", "responseId"):
            if key in chunk:
                self.metadata[key] = chunk[key]
        candidates = chunk.get("candidates") or []
        block = (chunk.get("promptFeedback") or {}).get("blockReason")
        if block and not candidates:
            raise BadRequestError(
                f"Gemini blocked the prompt ({block}). Rephrase it, or change the safety "
                "settings of this request.",
                provider="google_genai",
            )
        events: list[StreamEvent] = []
        if not candidates:
            return events
        candidate = candidates[0]
        for part in (candidate.get("content") or {}).get("parts") or ():
            if "text" in part and part["text"]:
                cls = ReasoningDelta if part.get("thought") else TextDelta
                events.append(cls(part["text"]))
            call = part.get("functionCall")
            if call:
                call_id = call.get("id") or f"call_{self._calls}"
                self._calls += 1
                name = call.get("name", "")
                events.append(ToolCallEvent(ToolCall(
                    call_id, name, tool_arguments(name, call.get("args"), provider="google_genai"),
                    signature=part.get("thoughtSignature"),
                )))  # fmt: skip
        reason = candidate.get("finishReason")
        if reason:
            self.done = True
            self.metadata["finishReason"] = reason
            events.extend(self._finish(reason))
        elif chunk.get("usageMetadata"):
            events.append(UsageEvent(self._usage()))  # so far: an answer stopped early has it
        return events

    def _usage(self) -> Usage:
        # Thinking tokens are billed as output.
        output = (self.usage.get("candidatesTokenCount") or 0) + (
            self.usage.get("thoughtsTokenCount") or 0
        )
        return Usage(self.usage.get("promptTokenCount"), output,
                     self.usage.get("thoughtsTokenCount"))  # fmt: skip

    def _finish(self, reason: str) -> list[StreamEvent]:
        if self._calls:
            finish = "tool_calls"  # Gemini says STOP even when it called a function
        elif reason in FILTERED:
            finish = "content_filter"
        else:
            finish = FINISH_REASONS.get(reason, reason.lower())
        events: list[StreamEvent] = []
        if self.usage:
            self.metadata["usageMetadata"] = self.usage
            events.append(UsageEvent(self._usage()))
        events.append(FinishEvent(finish, raw=redact(self.metadata)))
        return events


class GeminiChatModel(BaseChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        # A header, never ?key=: URLs end up in logs.
        return {"x-goog-api-key": api_key} if api_key else {}

    @classmethod
    def model_ids(cls, payload: Any) -> list[str]:
        return [str(entry["name"]).removeprefix("models/") for entry in payload["models"]]

    async def request_auth_headers(self) -> dict[str, str]:
        """The credentials for one request (Vertex fetches a fresh token here)."""
        return self.auth_headers(self.config.api_key)

    @classmethod
    def normalise_base_url(cls, base_url: str) -> str:
        """`https://generativelanguage.googleapis.com`, as the google-genai SDK takes it, gets
        the API version the layer speaks (/v1beta); a URL that names a version keeps it."""
        url = base_url.rstrip("/")
        return url if _API_VERSION.search(url) else url + "/v1beta"

    def body_retry_hint(self, body: str) -> float | None:
        # A per-minute quota says in its body when to come back; a daily one does not.
        return retry_delay(body)

    @property
    def endpoint(self) -> str:
        model = quote(self.config.model.removeprefix("models/"), safe="")
        return f"{self.config.base_url.rstrip('/')}/models/{model}:streamGenerateContent?alt=sse"

    def build_body(self, messages: list[Message]) -> dict[str, Any]:
        config = self.config
        generation: dict[str, Any] = {}
        for name, value in (("temperature", config.temperature), ("topP", config.top_p),
                            ("maxOutputTokens", config.max_tokens), ("seed", config.seed)):  # fmt: skip
            if value is not None:
                generation[name] = value
        if config.stop:
            generation["stopSequences"] = list(config.stop)
        if config.output is not None:
            generation["responseMimeType"] = "application/json"
            generation["responseJsonSchema"] = config.output.schema  # real JSON Schema (pitfall 12)
        body: dict[str, Any] = {"contents": encode_contents(messages)}
        if config.tools:
            body["tools"] = [{"functionDeclarations": [
                {"name": t.name, "description": t.description, "parametersJsonSchema": t.parameters}
                for t in config.tools]}]  # fmt: skip
            choice = config.tool_choice or "auto"
            calling: dict[str, Any] = {"mode": {"auto": "AUTO", "none": "NONE"}.get(choice, "ANY")}
            if choice not in ("auto", "required", "none"):
                calling["allowedFunctionNames"] = [choice]
            body["toolConfig"] = {"functionCallingConfig": calling}
        system_text = "\n\n".join(m.text for m in messages if m.role == "system" and m.text)
        if system_text:
            body["systemInstruction"] = {"parts": [{"text": system_text}]}
        if generation:
            body["generationConfig"] = generation
        body.update(config.extra)
        return body

    async def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        body = orjson.dumps(self.build_body(messages))
        credentials = await self.request_auth_headers()
        headers = {"content-type": "application/json", **credentials}
        async for batch in post_stream(self, self.endpoint, body, headers, GeminiDecoder()):
            yield batch


class GeminiDecoder:
    """Gemini has no terminator: the event with a finishReason is the end."""

    cut_message = (
        "Gemini's stream ended without a finish reason; the answer may be cut short. Try again."
    )

    def __init__(self) -> None:
        self.parser = SSEParser()
        self.state = GeminiStreamState()

    @property
    def done(self) -> bool:
        return self.state.done

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        for sse in self.parser.feed(chunk):
            yield from self.state.handle(sse.data)

    def close(self) -> Iterator[StreamEvent]:
        for sse in self.parser.close():
            yield from self.state.handle(sse.data)
