"""THE seam to `providers/`: the only module of the project that imports it (design §1).

Connections become chat models here; every other module imports errors, events and message
builders from this one, never from `providers` directly (a test over the imports keeps it so).
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
from asgiref.sync import sync_to_async
from django.db.models import Q

from connections.crypto import decrypt_secret
from connections.env_connections import env_api_key
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
    InMemoryRateLimiter,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    ReasoningDelta,
    RequestEvent,
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

# The shapes of the provider records' parts, and checking a tools box, need the provider
# layer's own modules (not part of its public API); so does warming up its TLS context.
from providers.http_client import shared_ssl_context
from providers.records import REQUESTS_PER_SECOND, ConnectionOption, SeedPrice
from providers.tools import output_schema, tool_spec
from providers.tools import safe_name as safe_tool_name

model_capabilities = capabilities  # what a kind takes, narrowed by the model's family

# Test seam: an httpx transport every model built here uses (tests point it at fakes).
TRANSPORT: httpx.AsyncBaseTransport | None = None

PROVIDER_CHOICES = [(spec.id, spec.label) for spec in PROVIDERS.values()]


def warm_up() -> None:
    """For a process about to serve: what its first provider request would pay for on its
    way out, done now — the TLS context (~30 ms to load the CA bundle, seen in py-spy in the
    middle of a burst of 300 sends)."""
    shared_ssl_context()


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


def available_connections(usable: Q) -> list[Connection]:
    """The connections a user may use, `usable` being their rule from accounts.permissions
    (usable_connections, connections_of_teams), each with its team; environment ones are
    synced at start-up, not here."""
    return list(Connection.objects.filter(usable).select_related("team"))


def api_key_for(connection: Connection) -> str | None:
    if connection.source == Connection.Source.ENV:
        return env_api_key(connection)
    if connection.api_key_encrypted:
        return decrypt_secret(connection.api_key_encrypted)
    return None


# Connection options per provider kind, from its record: shown on the Connections page.
CONNECTION_OPTIONS: dict[str, tuple[ConnectionOption, ...]] = {
    spec.id: spec.connection_options for spec in PROVIDERS.values()
}


class BadConnectionOption(ConfigurationError):
    """A saved option that is not a value of its kind (the form would have refused it)."""


def saved_options(connection: Connection) -> dict[str, Any]:
    """The connection's options its kind has, typed; BadConnectionOption for a bad one."""
    saved = connection.options or {}
    values: dict[str, Any] = {}
    for option in CONNECTION_OPTIONS.get(connection.kind, ()):
        text = str(saved.get(option.name) or "").strip()
        if not text:
            continue
        try:
            values[option.name] = option.parse(text)
        except ValueError as error:
            raise BadConnectionOption(
                f"{connection.name}'s {option.label} is {text!r}: {error} Edit the connection."
            ) from None
    return values


def connection_options(connection: Connection) -> dict[str, Any]:
    """The options init_chat_model takes as extras (not those the playground applies)."""
    extras = {option.name for option in CONNECTION_OPTIONS.get(connection.kind, ())
              if option.model_extra}  # fmt: skip
    return {name: value for name, value in saved_options(connection).items() if name in extras}


# One limiter per connection, shared by every model built for it in this process (every pane
# and conversation), so that together they stay under the rate the admin set.
_rate_limiters: dict[int, InMemoryRateLimiter] = {}
_rate_limiters_lock = threading.Lock()


def rate_limiter_for(connection: Connection) -> InMemoryRateLimiter | None:
    """The connection's limiter at its "Requests per second", or None without one; a new
    limiter when the rate changed."""
    rate = saved_options(connection).get(REQUESTS_PER_SECOND.name)
    if rate is None:
        return None
    with _rate_limiters_lock:
        limiter = _rate_limiters.get(connection.pk) if connection.pk else None
        if limiter is None or limiter.requests_per_second != rate:
            limiter = InMemoryRateLimiter(
                requests_per_second=rate,
                check_every_n_seconds=min(0.1, 1 / rate),
                max_bucket_size=max(1, rate),  # a turn's panes may leave together
            )
            if connection.pk:
                _rate_limiters[connection.pk] = limiter
    return limiter


# The panel's own bounds for what the playground does itself (the same for every provider).
CLIENT_RANGES: dict[str, tuple[float, float]] = {"timeout": (1, 600), "max_retries": (0, 10)}


def panel_limits(kind: str | None) -> dict[str, Any]:
    """What a settings panel shows and checks for a connection of `kind`, from its record:
    {"max_stop_sequences": int, "ranges": {field: (low, high)}}. No kind, or one no record
    names: the loosest of all records."""
    specs = [PROVIDERS[kind]] if kind in PROVIDERS else list(PROVIDERS.values())
    ranges: dict[str, tuple[float, float]] = {}
    for spec in specs:
        for name, (low, high) in spec.ranges.as_dict().items():
            widest = ranges.get(name, (low, high))
            ranges[name] = (min(low, widest[0]), max(high, widest[1]))
    return {
        "max_stop_sequences": max(spec.max_stop_sequences for spec in specs),
        "ranges": {**ranges, **CLIENT_RANGES},
    }


def seed_prices() -> dict[str, tuple[SeedPrice, ...]]:
    """Each provider's list prices, for the Prices table to start from."""
    return {spec.id: spec.seed_prices for spec in PROVIDERS.values() if spec.seed_prices}


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
        rate_limiter=rate_limiter_for(connection),
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
    "RequestEvent",
    "RetryEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "UsageEvent",
    "assistant",
    "available_connections",
    "BadConnectionOption",
    "CLIENT_RANGES",
    "CONNECTION_OPTIONS",
    "ConnectionOption",
    "capability_summary",
    "chat_model_for",
    "connection_options",
    "default_base_url",
    "list_models",
    "provider_label",
    "provider_needs_base_url",
    "provider_needs_key",
    "output_schema",
    "panel_limits",
    "rate_limiter_for",
    "safe_tool_name",
    "saved_options",
    "seed_prices",
    "structured_answer",
    "system",
    "tool_result",
    "tool_spec",
    "user",
]
