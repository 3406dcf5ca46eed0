"""Ollama's native `/api/chat` (`ollama`): NDJSON lines, options by Modelfile names.

Sampling parameters go under `options` (`num_predict` is max tokens), images are bare
base64 on the message, a tool call arrives whole with its arguments as an object, a tool
result names its tool (`tool_name`), usage is on the final `done` line, and an error
mid-stream is an `{"error": ...}` line with HTTP 200. The base URL is read as Ollama reads
OLLAMA_HOST (`ollama_host`).
"""

from __future__ import annotations

import base64
import codecs
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
from providers.messages import Audio, Image, Message, with_tool_names
from providers.redact import redact
from providers.secrets import clip
from providers.streaming import post_stream
from providers.tools import function_tools, tool_arguments

DEFAULT_PORT = "11434"
SCHEME_PORTS = {"http": "80", "https": "443"}
UNSPECIFIED_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # bind addresses, not destinations


def ollama_host(value: str) -> str:
    """A base URL from OLLAMA_HOST's forms, by Ollama's own rule (envconfig.Host): no scheme
    means http on port 11434 (`host`, `host:port`, `:port`), `http://host` port 80 and
    `https://host` 443; a path (a proxy's prefix) is kept, but not a trailing /api, which
    this layer adds itself. Bind-all addresses (0.0.0.0) become loopback, as Ollama's own
    client does."""
    text = value.strip().strip("\"'").strip()
    scheme, separator, rest = text.partition("://")
    default_port = SCHEME_PORTS.get(scheme, DEFAULT_PORT)
    if not separator:
        scheme, rest, default_port = "http", text, DEFAULT_PORT
        if text == "ollama.com":  # Ollama's cloud, named bare
            scheme, default_port = "https", SCHEME_PORTS["https"]
    hostport, _, path = rest.partition("/")
    host, port = _split_host_port(hostport)
    host = UNSPECIFIED_HOSTS.get(host, host) or "127.0.0.1"
    if port is None or not port.isdigit() or int(port) > 65535:
        port = default_port
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[-1] == "api":
        segments.pop()
    address = f"[{host}]" if ":" in host else host
    if port != SCHEME_PORTS.get(scheme):
        address += f":{port}"
    return f"{scheme}://{address}" + "".join(f"/{segment}" for segment in segments)


def _split_host_port(hostport: str) -> tuple[str, str | None]:
    """(host, port) like Go's net.SplitHostPort, the port None when there is none."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end != -1 and hostport[end + 1 : end + 2] == ":":
            return hostport[1:end], hostport[end + 2 :]
        return hostport.strip("[]"), None
    if hostport.count(":") == 1:
        host, port = hostport.split(":")
        return host, port
    return hostport, None


METADATA_KEYS = ("model", "created_at", "done_reason", "total_duration", "load_duration",
                 "prompt_eval_count", "eval_count", "eval_duration")  # fmt: skip


def encode_message(message: Message) -> dict[str, Any]:
    """One message; a tool result's `tool_name` comes from `with_tool_names`."""
    encoded: dict[str, Any] = {"role": message.role, "content": message.text}
    images = []
    for attachment in message.attachments:
        if isinstance(attachment, Audio):
            raise UnsupportedFeatureError(
                "Ollama's native API takes images only; use a model that reads audio elsewhere.",
                provider="ollama",
            )
        if isinstance(attachment, Image):
            images.append(base64.b64encode(attachment.data).decode("ascii"))
    if images:
        encoded["images"] = images
    if message.tool_calls:
        encoded["tool_calls"] = [
            {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.tool_name:
        encoded["tool_name"] = message.tool_name  # what Ollama's tool-calling docs send
    if message.role == "tool" and message.tool_call_id:
        encoded["tool_call_id"] = message.tool_call_id  # newer builds match on it
    return encoded


class OllamaStreamState:
    def __init__(self) -> None:
        self.done = False
        self._calls = 0

    def handle(self, line: str) -> list[StreamEvent]:
        try:
            chunk = orjson.loads(line)
        except ValueError as error:
            raise MalformedResponseError(
                f"Ollama sent a line that is not JSON: {clip(line, 120)!r}.", provider="ollama"
            ) from error
        if chunk.get("error"):
            raise error_from_stream_payload(chunk, provider="ollama")
        events: list[StreamEvent] = []
        message = chunk.get("message") or {}
        if message.get("thinking"):
            events.append(ReasoningDelta(message["thinking"]))
        if message.get("content"):
            events.append(TextDelta(message["content"]))
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            name = function.get("name", "")
            arguments = tool_arguments(name, function.get("arguments"), provider="ollama")
            call_id = call.get("id") or f"call_{self._calls}"
            self._calls += 1
            events.append(ToolCallEvent(ToolCall(call_id, name, arguments)))
        if chunk.get("done"):
            self.done = True
            events.append(
                UsageEvent(Usage(chunk.get("prompt_eval_count"), chunk.get("eval_count")))
            )
            reason = chunk.get("done_reason")
            finish = (
                "tool_calls"
                if self._calls
                else {"stop": "stop", "length": "length"}.get(reason, reason)
            )
            metadata = {key: chunk[key] for key in METADATA_KEYS if key in chunk}
            events.append(FinishEvent(finish, raw=redact(metadata)))
        return events


# Ollama's per-request model options (its Modelfile parameters) that callers pass as keywords.
MODEL_OPTIONS = frozenset({"num_ctx", "num_keep", "num_batch", "num_gpu", "top_k", "min_p",
                           "typical_p", "repeat_last_n", "repeat_penalty", "presence_penalty",
                           "frequency_penalty", "mirostat", "mirostat_tau", "mirostat_eta"})  # fmt: skip


class OllamaChatModel(BaseChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def normalise_base_url(cls, base_url: str) -> str:
        return ollama_host(base_url)

    @classmethod
    def models_url(cls, base_url: str) -> str:
        return base_url.rstrip("/") + "/api/tags"

    @classmethod
    def model_ids(cls, payload: Any) -> list[str]:
        return [str(entry["name"]) for entry in payload["models"]]

    @property
    def endpoint(self) -> str:
        return self.config.base_url.rstrip("/") + "/api/chat"

    def build_body(self, messages: list[Message]) -> dict[str, Any]:
        config = self.config
        options: dict[str, Any] = {}
        for name, value in (("temperature", config.temperature), ("top_p", config.top_p),
                            ("seed", config.seed), ("num_predict", config.max_tokens)):  # fmt: skip
            if value is not None:
                options[name] = value
        if config.stop:
            options["stop"] = list(config.stop)
        extra = dict(config.extra)
        # Model options given as plain keywords (num_ctx=32768) belong in `options`: at the
        # top level Ollama would ignore them silently.
        options.update({key: extra.pop(key) for key in MODEL_OPTIONS & extra.keys()})
        options.update(extra.pop("options", {}))
        body: dict[str, Any] = {
            "model": config.model,
            "messages": [encode_message(message) for message in with_tool_names(messages)],
            "stream": True,  # the default, said out loud
        }
        if options:
            body["options"] = options
        if config.tools:
            body["tools"] = function_tools(config.tools)
        if config.output is not None:
            body["format"] = config.output.schema
        body.update(extra)
        return body

    def check_parameters(self) -> None:
        if self.config.tools and (self.config.tool_choice or "auto") != "auto":
            raise ConfigurationError(
                "Ollama cannot be told which tool to call (no tool_choice); use 'auto'."
            )

    async def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        body = orjson.dumps(self.build_body(messages))
        async for batch in post_stream(self, self.endpoint, body, self.headers(), OllamaDecoder()):
            yield batch


class OllamaDecoder:
    """NDJSON: one JSON object a line, lines split anywhere by the network."""

    cut_message = (
        "Ollama's stream ended before its final done line; the answer may be cut short. Try again."
    )

    def __init__(self) -> None:
        self.text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.state = OllamaStreamState()

    @property
    def done(self) -> bool:
        return self.state.done

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        *lines, self.pending = (self.pending + self.text.decode(chunk)).split("\n")
        yield from self._events(lines)

    def close(self) -> Iterator[StreamEvent]:
        rest, self.pending = self.pending + self.text.decode(b"", final=True), ""
        yield from self._events([rest])

    def _events(self, lines: list[str]) -> Iterator[StreamEvent]:
        for line in lines:
            if line.strip():
                yield from self.state.handle(line)
            if self.state.done:
                return
