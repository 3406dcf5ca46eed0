"""Amazon Bedrock Converse / ConverseStream (`bedrock`).

Content is always a list of one-key blocks, parameters live in `inferenceConfig`, the stream
is AWS's binary event stream (decoded, CRCs checked, by botocore) in which exceptions can
arrive after HTTP 200, `toolConfig` must travel with any history that holds tool blocks, and
a structured-output schema is sent as a JSON *string*. Requests are signed with SigV4
(botocore's signer, service name `bedrock`) unless a Bedrock API key is given (Bearer).
botocore is the optional `bedrock` extra.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from providers.chat_model import BaseChatModel
from providers.errors import (
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
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
from providers.messages import Audio, Image, Message
from providers.redact import redact
from providers.secrets import clip
from providers.streaming import post_stream
from providers.tools import tool_arguments

STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                "tool_use": "tool_calls", "content_filtered": "content_filter",
                "guardrail_intervened": "content_filter",
                "model_context_window_exceeded": "length"}  # fmt: skip
EXCEPTIONS: dict[str, type[ProviderError]] = {
    "throttlingException": RateLimitError,
    "serviceUnavailableException": ProviderUnavailableError,
    "internalServerException": ProviderUnavailableError,
    "modelStreamErrorException": ProviderUnavailableError,
    "validationException": BadRequestError,
}
# Extras that address or authenticate, never sent in a body.
NOT_BODY = {"region", "aws_access_key_id", "credentials_profile_name"}
IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}


def _botocore() -> Any:
    try:
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        import botocore.eventstream
        import botocore.exceptions
        import botocore.session
    except ImportError:
        raise ConfigurationError(
            "Bedrock needs botocore: pip install 'playground[bedrock]'."
        ) from None
    return botocore


def _block(attachment: Any) -> dict[str, Any]:
    data = base64.b64encode(attachment.data).decode("ascii")
    if isinstance(attachment, Image):
        if attachment.media_type not in IMAGE_FORMATS:
            raise UnsupportedFeatureError(
                f"Bedrock takes PNG, JPEG, GIF or WebP images, not {attachment.media_type}.",
                provider="bedrock",
            )
        return {
            "image": {"format": IMAGE_FORMATS[attachment.media_type], "source": {"bytes": data}}
        }
    if isinstance(attachment, Audio):
        audio_format = attachment.media_type.rsplit("/", 1)[-1].replace("mpeg", "mp3")
        return {"audio": {"format": audio_format, "source": {"bytes": data}}}
    raise UnsupportedFeatureError(
        f"Bedrock cannot take {attachment.media_type}.", provider="bedrock"
    )


def _tool_result_block(text: str) -> dict[str, Any]:
    """A JSON object result as a `json` block; anything else, arrays and scalars included,
    as text, since Bedrock takes only objects there and refuses empty text (pitfall 20)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    return {"json": value} if isinstance(value, dict) else {"text": text or "(empty)"}


def encode_messages(messages: list[Message]) -> tuple[list[dict[str, Any]], set[str]]:
    """Converse messages (same-role neighbours merged, as Bedrock wants strict turns) and the
    names of the tools the history mentions."""
    turns: list[dict[str, Any]] = []
    tool_names: set[str] = set()
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            role = "user"
            content = [{"toolResult": {"toolUseId": message.tool_call_id,
                                       "content": [_tool_result_block(message.text)],
                                       "status": "success"}}]  # fmt: skip
        else:
            role = message.role
            content = [_block(a) for a in message.attachments]
            if message.text:
                content.append({"text": message.text})
            for call in message.tool_calls:
                tool_names.add(call.name)
                content.append({"toolUse": {"toolUseId": call.id, "name": call.name,
                                            "input": call.arguments}})  # fmt: skip
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(content)
        else:
            turns.append({"role": role, "content": content})
    return turns, tool_names


class BedrockStreamState:
    def __init__(self) -> None:
        self.done = False
        self.stopped = False
        self.finish_reason: str | None = None
        self.metadata: dict[str, Any] = {}
        self._tools: dict[int, dict[str, Any]] = {}

    def handle(self, headers: dict[str, Any], payload: bytes) -> list[StreamEvent]:
        kind = headers.get(":message-type")
        if kind == "exception":
            name = str(headers.get(":exception-type", "exception"))
            message = _message(payload)
            error_class = EXCEPTIONS.get(name, ProviderError)
            raise error_class(f"Bedrock reported {name} in the middle of the answer: {message}",
                              provider="bedrock")  # fmt: skip
        if kind == "error":
            raise ProviderError(
                f"Bedrock stream error {headers.get(':error-code')}: {headers.get(':error-message')}",
                provider="bedrock",
            )
        event = headers.get(":event-type")
        try:
            body = json.loads(payload or b"{}")
        except ValueError:
            raise MalformedResponseError(
                f"Bedrock sent a {event} event that is not JSON: "
                f"{clip(payload.decode('utf-8', errors='replace'), 120)!r}.",
                provider="bedrock",
            ) from None
        if event == "contentBlockDelta":
            delta = body.get("delta") or {}
            if delta.get("text"):
                return [TextDelta(delta["text"])]
            if "toolUse" in delta:
                tool = self._tools.get(body.get("contentBlockIndex", -1))
                if tool is not None:
                    tool["input"] += delta["toolUse"].get("input", "")
            reasoning = (delta.get("reasoningContent") or {}).get("text")
            return [ReasoningDelta(reasoning)] if reasoning else []
        if event == "contentBlockStart":
            start = (body.get("start") or {}).get("toolUse")
            if start:
                self._tools[body.get("contentBlockIndex", 0)] = {**start, "input": ""}
            return []
        if event == "contentBlockStop":
            tool = self._tools.pop(body.get("contentBlockIndex", -1), None)
            if tool is None:
                return []
            name = tool.get("name", "")
            arguments = tool_arguments(name, tool["input"], provider="bedrock")
            return [ToolCallEvent(ToolCall(tool.get("toolUseId", ""), name, arguments))]
        if event == "messageStop":
            self.stopped = True
            reason = body.get("stopReason")
            self.finish_reason = STOP_REASONS.get(reason, reason)
            self.metadata["stopReason"] = reason
            return []
        if event == "metadata":
            self.done = True
            usage = body.get("usage") or {}
            self.metadata.update({"usage": usage, "metrics": body.get("metrics")})
            return [UsageEvent(Usage(usage.get("inputTokens"), usage.get("outputTokens"))),
                    FinishEvent(self.finish_reason, raw=redact(self.metadata))]  # fmt: skip
        return []

    def finish_without_metadata(self) -> list[StreamEvent]:
        self.done = True
        return [FinishEvent(self.finish_reason, raw=redact(self.metadata))]


def _message(payload: bytes) -> str:
    try:
        body = json.loads(payload or b"{}")
    except ValueError:
        return clip(payload.decode("utf-8", errors="replace"), 200)
    return str(body.get("message") or body.get("Message") or body)


class BedrockChatModel(BaseChatModel):
    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def model_ids(cls, payload: Any) -> list[str]:
        """Foundation models that answer text in a stream (what Converse can use)."""
        return [
            str(entry["modelId"])
            for entry in payload["modelSummaries"]
            if entry.get("responseStreamingSupported", True)
            and "TEXT" in (entry.get("outputModalities") or ["TEXT"])
        ]

    async def models_request(self) -> tuple[str, dict[str, str]]:
        # The model list is on the control plane (bedrock.), not bedrock-runtime.
        root = self.config.base_url.rstrip("/") or f"https://bedrock.{self.region}.amazonaws.com"
        url = f"{root}/foundation-models?byOutputModality=TEXT"
        return url, self.signed_headers("GET", url, b"", {"Accept": "application/json"})

    @property
    def region(self) -> str:
        region = (self.config.extra.get("region") or os.environ.get("AWS_REGION")
                  or os.environ.get("AWS_DEFAULT_REGION"))  # fmt: skip
        if not region:
            raise ConfigurationError("Bedrock needs a region: pass region=... or set AWS_REGION.")
        return str(region)

    @property
    def endpoint(self) -> str:
        root = (
            self.config.base_url.rstrip("/")
            or f"https://bedrock-runtime.{self.region}.amazonaws.com"
        )
        # The model id is one path segment: ':' and the '/' of ARNs are encoded (pitfall 22).
        return f"{root}/model/{quote(self.config.model, safe='')}/converse-stream"

    def check_parameters(self) -> None:
        self.region  # noqa: B018 - refuses a missing region before any request
        if self.config.seed is not None:
            raise ConfigurationError("Bedrock's Converse API takes no seed; leave Seed empty.")

    def build_body(self, messages: list[Message]) -> dict[str, Any]:
        config = self.config
        turns, history_tools = encode_messages(messages)
        body: dict[str, Any] = {"messages": turns}
        system_text = "\n\n".join(m.text for m in messages if m.role == "system" and m.text)
        if system_text:
            body["system"] = [{"text": system_text}]
        inference = {key: value for key, value in (
            ("maxTokens", config.max_tokens), ("temperature", config.temperature),
            ("topP", config.top_p)) if value is not None}  # fmt: skip
        if config.stop:
            inference["stopSequences"] = list(config.stop)
        if inference:
            body["inferenceConfig"] = inference
        tools = [{"toolSpec": {"name": t.name, "description": t.description or t.name,
                               "inputSchema": {"json": t.parameters}}} for t in config.tools]  # fmt: skip
        # Bedrock refuses a history with tool blocks unless toolConfig comes along (pitfall 19).
        bound = {t.name for t in config.tools}
        tools += [{"toolSpec": {"name": name, "description": name,
                                "inputSchema": {"json": {"type": "object"}}}}
                  for name in sorted(history_tools - bound)]  # fmt: skip
        if tools and (config.tool_choice != "none" or history_tools):
            choice = config.tool_choice or "auto"
            body["toolConfig"] = {"tools": tools, "toolChoice": (
                {"auto": {}} if choice in ("auto", "none") else {"any": {}} if choice == "required"
                else {"tool": {"name": choice}})}  # fmt: skip
        if config.output is not None:
            body["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {
                "jsonSchema": {"name": config.output.name,
                               "schema": json.dumps(config.output.schema)}}}}  # fmt: skip
        body.update({k: v for k, v in config.extra.items() if k not in NOT_BODY})
        return body

    def aws_credentials(self) -> Any:
        """An access key given with the connection, else a named profile, else botocore's
        usual chain (environment, ~/.aws, instance role). Their secret parts are remembered
        among the model's secrets, to be scrubbed from errors."""
        credentials = self._find_aws_credentials()
        self.resolved_secrets.add(credentials.secret_key, credentials.token)
        return credentials

    def _find_aws_credentials(self) -> Any:
        botocore = _botocore()
        extra, secrets = self.config.extra, self.config.secrets
        if extra.get("aws_access_key_id"):
            if not secrets.get("aws_secret_access_key"):
                raise ConfigurationError(
                    "An AWS access key ID needs its secret access key (aws_secret_access_key)."
                )
            return botocore.credentials.Credentials(
                extra["aws_access_key_id"],
                secrets["aws_secret_access_key"],
                secrets.get("aws_session_token"),
            )
        profile = extra.get("credentials_profile_name") or None
        try:
            credentials = botocore.session.Session(profile=profile).get_credentials()
        except botocore.exceptions.ProfileNotFound:
            raise ConfigurationError(f"There is no AWS profile named {profile!r}.") from None
        if credentials is None:
            raise ConfigurationError(
                "No AWS credentials: give an access key ID and secret, a profile, or a Bedrock "
                "API key (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY on the server)."
            )
        return credentials.get_frozen_credentials()

    def signed_headers(
        self, method: str, url: str, body: bytes, headers: dict[str, str]
    ) -> dict[str, str]:
        """A Bedrock API key as a bearer, else SigV4 (service "bedrock") over these exact
        bytes."""
        if self.config.api_key and not self.config.extra.get("aws_access_key_id"):
            return {**headers, **self.auth_headers(self.config.api_key)}
        botocore = _botocore()
        request = botocore.awsrequest.AWSRequest(method, url, data=body, headers=headers)
        botocore.auth.SigV4Auth(self.aws_credentials(), "bedrock", self.region).add_auth(request)
        return dict(request.headers.items())

    async def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        body = json.dumps(self.build_body(messages)).encode()  # signed bytes are sent bytes
        headers = self.signed_headers("POST", self.endpoint, body, {
            "Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"})  # fmt: skip
        async for batch in post_stream(self, self.endpoint, body, headers, BedrockDecoder()):
            yield batch


class BedrockDecoder:
    """AWS event-stream frames (botocore checks both CRCs), ending at the metadata event; a
    body that ends after messageStop without metadata still counts as complete."""

    cut_message = (
        "Bedrock's stream ended before messageStop; the answer may be cut short. Try again."
    )

    def __init__(self) -> None:
        self.botocore = _botocore()
        self.buffer = self.botocore.eventstream.EventStreamBuffer()
        self.state = BedrockStreamState()

    @property
    def done(self) -> bool:
        return self.state.done

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]:
        self.buffer.add_data(chunk)
        try:
            for message in self.buffer:
                yield from self.state.handle(message.headers, message.payload)
        except self.botocore.eventstream.ParserError as error:
            raise MalformedResponseError(
                f"Bedrock's event stream is corrupt ({type(error).__name__}).", provider="bedrock"
            ) from None

    def close(self) -> Iterator[StreamEvent]:
        if self.state.stopped and not self.state.done:
            yield from self.state.finish_without_metadata()
