"""THE seam to `providers/`: the only module of the project that imports it (design §1).

Connections become chat models here; every other module imports errors, events and message
builders from this one, never from `providers` directly (a test over the imports keeps it so).
"""

from __future__ import annotations

from typing import Any

import httpx
from asgiref.sync import sync_to_async

from connections.crypto import decrypt_secret
from connections.env_connections import env_api_key, sync_env_connections
from connections.models import Connection
from playground import redaction
from providers import (
    CAPABILITIES,
    PROVIDERS,
    Audio,
    AuthenticationError,
    BadRequestError,
    BaseChatModel,
    ConfigurationError,
    FinishEvent,
    Image,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    ReasoningDelta,
    Response,
    RetryEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
    alist_models,
    assistant,
    capabilities,
    init_chat_model,
    system,
    tool_result,
    user,
)

# Checking a tools box needs the provider layer's own parsing (not part of its public API).
from providers.tools import output_schema, tool_spec
from providers.tools import safe_name as safe_tool_name

model_capabilities = capabilities  # what a kind takes, narrowed by the model's family

# Test seam: an httpx transport every model built here uses (tests point it at fakes).
TRANSPORT: httpx.AsyncBaseTransport | None = None

PROVIDER_CHOICES = [(spec.id, spec.label) for spec in PROVIDERS.values()]


def provider_label(kind: str) -> str:
    spec = PROVIDERS.get(kind)
    return spec.label if spec else kind


def provider_needs_key(kind: str) -> bool:
    spec = PROVIDERS.get(kind)
    return bool(spec and spec.api_key_required)


def capability_summary(kind: str, model: str | None = None) -> tuple[str, list[str]]:
    """("text, images · tools · structured output", the parameters it honours) for a kind, its
    inputs narrowed to the model's family when a model is named."""
    if kind not in CAPABILITIES:
        return "", []
    caps = capabilities(kind, model)
    boxes = ["tools"] * caps.tools + ["output_schema"] * caps.structured_output
    boxes += ["image_detail"] * caps.image_detail  # the detail choice on image chips
    return caps.summary(), sorted([*caps.params, *boxes])


def provider_needs_base_url(kind: str) -> bool:
    spec = PROVIDERS.get(kind)
    return bool(spec) and not spec.default_base_url and not spec.address_from_config


def default_base_url(kind: str) -> str:
    """Where a connection with no base URL goes ("" when the provider has no default)."""
    spec = PROVIDERS.get(kind)
    return spec.default_base_url if spec else ""


def available_connections() -> list[Connection]:
    sync_env_connections()
    return list(Connection.objects.all())


def api_key_for(connection: Connection) -> str | None:
    if connection.source == Connection.Source.ENV:
        return env_api_key(connection)
    if connection.api_key_encrypted:
        return decrypt_secret(connection.api_key_encrypted)
    return None


# Connection options per provider kind: (option, label, help) — shown on the Connections page.
CONNECTION_OPTIONS: dict[str, list[tuple[str, str, str]]] = {
    "azure_openai": [("api_version", "API version",
                      "e.g. 2024-10-21 for deployment URLs; empty uses the v1 API.")],
    "bedrock": [("region", "Region", "e.g. us-east-1; empty uses AWS_REGION."),
                ("aws_access_key_id", "AWS access key ID",
                 "With it, the API key field holds its secret access key. Without it, the API "
                 "key field is a Bedrock API key, or leave both empty for the server's AWS "
                 "credentials."),
                ("credentials_profile_name", "AWS profile",
                 "A profile in the server's ~/.aws files (when no key is given).")],
    "ollama": [("num_ctx", "Context window (num_ctx)",
                "Tokens of history the model keeps, e.g. 32768. Ollama's default (often 4096) "
                "silently drops the start of long chats; more needs more memory.")],
    "openai_compatible": [("json_schema_style", "Structured output style",
                           "openai (default), or tgi for Hugging Face TGI servers.")],
    "google_vertexai": [("project", "Project", "Empty uses GOOGLE_CLOUD_PROJECT."),
                        ("location", "Location", "e.g. europe-west4 or global; default us-central1.")],
}  # fmt: skip


INTEGER_OPTIONS = {"num_ctx"}
CHOICE_OPTIONS = {"json_schema_style": ("openai", "tgi")}


def connection_options(connection: Connection) -> dict[str, Any]:
    allowed = {name for name, _, _ in CONNECTION_OPTIONS.get(connection.kind, [])}
    return {
        k: int(v) if k in INTEGER_OPTIONS else v
        for k, v in (connection.options or {}).items()
        if k in allowed and v
    }


def credentials_for(connection: Connection) -> dict[str, Any]:
    """The connection's key as its provider takes it: an API key, or for a Bedrock
    connection with an access key ID, that key's secret."""
    key = api_key_for(connection)
    redaction.remember([key])  # kept out of every log line from now on
    if connection.kind == "bedrock" and connection_options(connection).get("aws_access_key_id"):
        return {"api_key": None, "aws_secret_access_key": key}
    return {"api_key": key}


def chat_model_for(
    connection: Connection,
    model: str,
    params: dict[str, Any],
    *,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str = "",
    schema: dict[str, Any] | None = None,
) -> BaseChatModel:
    """A chat model for a connection, offering `tools` or answering in `schema` if given."""
    chat_model = init_chat_model(
        model=model,
        model_provider=connection.kind,
        base_url=connection.base_url or None,
        transport=TRANSPORT,
        **credentials_for(connection),
        **connection_options(connection),
        **params,
    )
    if tools:
        chat_model = chat_model.bind_tools(tools, tool_choice or "auto")
    if schema is not None:
        chat_model = chat_model.with_structured_output(schema).model  # streamed, then checked
    return chat_model


def structured_answer(
    chat_model: BaseChatModel, text: str, tool_calls: list[ToolCall]
) -> tuple[str, bool, str]:
    """For a model asked for structured output: (the answer's JSON text, whether it fits the
    schema, what is wrong when it does not). Forced-tool providers put it in a tool call."""
    if chat_model.config.output is None:
        raise ValueError("structured_answer needs a model built with a schema")
    response = Response(text=text, tool_calls=list(tool_calls))
    answer = chat_model.structured_text(response)
    try:
        chat_model.parse_structured(response)  # its error is scrubbed of the model's secrets
    except MalformedResponseError as error:
        # The page shows the raw answer right below the problem; the message need not.
        return answer, False, str(error).split(" Raw answer: ")[0]
    return answer, True, ""


async def list_models(connection: Connection) -> list[str]:
    credentials = await sync_to_async(credentials_for)(connection)
    return await alist_models(
        connection.kind,
        base_url=connection.base_url or None,
        transport=TRANSPORT,
        **credentials,
        **connection_options(connection),
    )


__all__ = [
    "Audio",
    "Image",
    "model_capabilities",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "FinishEvent",
    "MalformedResponseError",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "ReasoningDelta",
    "RetryEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "UsageEvent",
    "assistant",
    "available_connections",
    "CHOICE_OPTIONS",
    "CONNECTION_OPTIONS",
    "INTEGER_OPTIONS",
    "capability_summary",
    "chat_model_for",
    "connection_options",
    "default_base_url",
    "list_models",
    "provider_label",
    "provider_needs_base_url",
    "provider_needs_key",
    "output_schema",
    "safe_tool_name",
    "structured_answer",
    "system",
    "tool_result",
    "tool_spec",
    "user",
]
