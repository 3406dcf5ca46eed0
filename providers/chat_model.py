"""The chat-model base: retries, rate limiting, invoke/stream/batch — one code path.

A protocol implements one method, `_astream_once(messages)`, which streams the events of a
single HTTP attempt in batches (one list per network read: fewer generator hops per token).
Everything else (retries with backoff, the rate limiter, collecting a `Response`, the sync
wrappers, batches) lives here once — and so does taking every secret the model holds out of
each error that leaves it (`secret_values`, `providers.secrets.scrub_error`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from providers.errors import ConfigurationError, ProviderError
from providers.events import (
    FinishEvent,
    ReasoningDelta,
    RequestEvent,
    RetryEvent,
    StreamEvent,
    TextDelta,
    ToolCallEvent,
    UsageEvent,
)
from providers.http_client import closing_clients
from providers.messages import Message, MessagesInput, as_messages
from providers.rate_limiter import InMemoryRateLimiter
from providers.response import Response
from providers.retry import MAX_HINTED_DELAY, Backoff
from providers.secrets import ResolvedSecrets, scrub_error, usable_secrets
from providers.tools import OutputSchema, ToolSpec, output_schema, tool_spec

T = TypeVar("T")
OUTPUT_EVENTS = (TextDelta, ReasoningDelta, ToolCallEvent)
DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Every standard parameter. `None` means "not sent: the provider's default"."""

    provider: str
    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    timeout: float = 60.0
    max_retries: int = 2
    api_key: str | None = field(default=None, repr=False)
    base_url: str = ""
    rate_limiter: InMemoryRateLimiter | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Credentials besides api_key (Bedrock's AWS secret access key): never in a repr.
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # "auto", "required", "none" or a tool's name
    output: OutputSchema | None = None  # set by with_structured_output


class BaseChatModel:
    def __init__(
        self,
        config: ModelConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff: Backoff = DEFAULT_BACKOFF,
        resolved_secrets: ResolvedSecrets | None = None,
    ) -> None:
        self.config = config
        self._transport = transport
        self._sleep = sleep
        self._backoff = backoff
        # Credentials found at request time (Vertex tokens, AWS keys from the environment).
        self.resolved_secrets = resolved_secrets or ResolvedSecrets()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.config.provider!r}, model={self.config.model!r})"
        )

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def provider(self) -> str:
        return self.config.provider

    def with_params(self, **changes: Any) -> BaseChatModel:
        """A new model with some parameters changed; this one is left as it is."""
        return type(self)(
            replace(self.config, **changes),
            transport=self._transport,
            sleep=self._sleep,
            backoff=self._backoff,
            resolved_secrets=self.resolved_secrets,
        )

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this model holds: the API key (from the call or the environment), the
        other credentials of `config.secrets`, and those resolved for its requests so far.
        Errors leaving the model are already scrubbed of them; pass them to
        `providers.scrub_secrets` to scrub any other text."""
        config = self.config
        return usable_secrets(
            (config.api_key, *config.secrets.values(), *self.resolved_secrets.values())
        )

    # -- tools and structured output ---------------------------------------------------------

    def bind_tools(self, tools: Sequence[Any], tool_choice: str = "auto") -> BaseChatModel:
        """A new model that offers these tools (JSON-schema dicts, pydantic models or
        functions); this one is left as it is."""
        specs = tuple(tool_spec(tool) for tool in tools)
        names = {spec.name for spec in specs}
        if tool_choice not in {"auto", "required", "none"} | names:
            raise ConfigurationError(
                f"tool_choice is 'auto', 'required', 'none' or a tool's name ({', '.join(sorted(names))})."
            )
        model = self.with_params(tools=specs, tool_choice=tool_choice)
        model.check_parameters()
        return model

    def with_structured_output(self, schema: Any) -> StructuredOutputModel:
        """A model whose invoke returns the validated object (a pydantic instance, or the
        JSON value for a JSON-schema dict)."""
        model = self.with_params(output=output_schema(schema))
        model.check_parameters()
        return StructuredOutputModel(model)

    def structured_text(self, response: Response) -> str:
        """Where this protocol puts a structured answer (the text, unless overridden)."""
        return response.text

    def parse_structured(self, response: Response) -> Any:
        """The structured answer of `response`, validated against the output schema; a
        MalformedResponseError (scrubbed of this model's secrets) when it does not fit."""
        if self.config.output is None:
            raise ConfigurationError("This model has no output schema: use with_structured_output.")
        try:
            return self.config.output.parse(self.structured_text(response))
        except ProviderError as error:
            scrub_error(error, self.secret_values())
            raise

    # -- what a protocol implements ----------------------------------------------------------

    @classmethod
    def auth_headers(cls, api_key: str | None) -> dict[str, str]:
        """Headers that carry the credentials (also used to list models)."""
        return {}

    @classmethod
    def normalise_base_url(cls, base_url: str) -> str:
        """The base URL as this protocol addresses it, from the forms its ecosystem accepts
        (the OpenAI convention, used as given, unless overridden)."""
        return base_url

    @property
    def endpoint(self) -> str:
        """The URL a chat request is sent to (each protocol's own)."""
        return ""

    def headers(self) -> dict[str, str]:
        """The headers of a chat request, credentials included (a protocol that signs or
        fetches a token adds its own when sending)."""
        return {"content-type": "application/json", **self.auth_headers(self.config.api_key)}

    def request_url(self) -> str:
        """`endpoint` as it may be shown and stored: without its query string (Azure's API
        version), fragment or user:password."""
        scheme, netloc, path, _query, _fragment = urlsplit(self.endpoint)
        return urlunsplit((scheme, netloc.rpartition("@")[2], path, "", ""))

    def body_retry_hint(self, body: str) -> float | None:
        """A retry delay carried in an error body rather than in headers (Gemini)."""
        return None

    @classmethod
    def models_url(cls, base_url: str) -> str:
        return base_url.rstrip("/") + "/models"

    @classmethod
    def model_ids(cls, payload: Any) -> list[str]:
        """The ids in a model-list answer (OpenAI and Anthropic shape: {"data": [{"id"}]})."""
        return [str(entry["id"]) for entry in payload["data"]]

    async def models_request(self) -> tuple[str, dict[str, str]]:
        """The URL and headers of the GET that lists models (Bedrock signs it, Vertex asks
        for a token)."""
        return self.models_url(self.config.base_url), self.auth_headers(self.config.api_key)

    def check_parameters(self) -> None:
        """Refuse, before any request, a parameter this provider cannot honour."""

    def _astream_once(self, messages: list[Message]) -> AsyncIterator[list[StreamEvent]]:
        raise NotImplementedError

    # -- streaming ---------------------------------------------------------------------------

    async def astream(self, messages: MessagesInput) -> AsyncIterator[StreamEvent]:
        """Stream events. Retryable errors before any output are retried with backoff; once
        output has begun an error is raised, never retried silently. Cancelling the consumer
        closes the upstream HTTP response at once."""
        async with contextlib.aclosing(self.astream_batches(messages)) as batches:
            async for batch in batches:
                for event in batch:
                    yield event

    async def astream_batches(self, messages: MessagesInput) -> AsyncIterator[list[StreamEvent]]:
        """`astream` as lists of events, one per network read: for relays that pay a cost
        per item handed over (the playground's run engine). Each attempt begins with a
        RequestEvent of its own, handed over before its request is sent."""
        try:
            conversation = as_messages(messages)
            attempt = 0
            while True:
                waited_s = 0.0
                limiter = self.config.rate_limiter
                if limiter is not None:
                    started = limiter.clock()
                    await limiter.aacquire()
                    waited_s = limiter.clock() - started
                yield [RequestEvent(attempt=attempt, waited_s=waited_s, url=self.request_url())]
                produced_output = False
                try:
                    async with contextlib.aclosing(self._astream_once(conversation)) as batches:
                        async for batch in batches:
                            if not produced_output:
                                produced_output = any(isinstance(e, OUTPUT_EVENTS) for e in batch)
                            yield batch
                    return
                except ProviderError as error:
                    if (
                        produced_output
                        or not error.retryable
                        or attempt >= self.config.max_retries
                        or (error.retry_after or 0) > MAX_HINTED_DELAY
                    ):
                        raise
                    attempt += 1
                    delay = self._backoff.delay(attempt, error.retry_after)
                    scrub_error(error, self.secret_values())
                    yield [RetryEvent(attempt=attempt, delay=delay, error=error)]
                    await self._sleep(delay)
        except ProviderError as error:
            # Whatever raised it (a decoder quoting the stream, an echoed error body), no
            # secret of this model leaves with it.
            scrub_error(error, self.secret_values())
            raise

    def stream(self, messages: MessagesInput) -> Iterator[StreamEvent]:
        """The sync face of `astream`, driven by an event loop in a worker thread."""
        items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=256)
        abandoned = threading.Event()

        async def pump() -> None:
            try:
                async for event in self.astream(messages):
                    if abandoned.is_set():
                        return
                    items.put(("event", event))
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                items.put(("error", error))
            finally:
                items.put(("end", None))

        worker = threading.Thread(target=asyncio.run, args=(closing_clients(pump()),), daemon=True)
        worker.start()
        try:
            while True:
                kind, value = items.get()
                if kind == "event":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            abandoned.set()
            while worker.is_alive():  # unblock a pump waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.05)

    # -- collecting --------------------------------------------------------------------------

    async def ainvoke(self, messages: MessagesInput) -> Response:
        response = Response()
        text: list[str] = []
        reasoning: list[str] = []
        async for event in self.astream(messages):
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ReasoningDelta):
                reasoning.append(event.reasoning)
            elif isinstance(event, ToolCallEvent):
                response.tool_calls.append(event.tool_call)
            elif isinstance(event, UsageEvent):
                response.usage = event.usage
            elif isinstance(event, FinishEvent):
                response.finish_reason = event.finish_reason
                response.raw = event.raw
            elif isinstance(event, RetryEvent):
                response.retries += 1
            elif isinstance(event, RequestEvent):
                response.rate_limit_wait_s += event.waited_s
        response.text = "".join(text)
        response.reasoning = "".join(reasoning)
        if response.raw is not None:
            response.raw = {**response.raw, "text": response.text}
        if self.config.output is not None:
            response.parsed = self.parse_structured(response)
        return response

    def invoke(self, messages: MessagesInput) -> Response:
        return run_sync(self.ainvoke(messages))

    async def abatch(
        self, inputs: Sequence[MessagesInput], *, max_concurrency: int | None = None
    ) -> list[Response | ProviderError]:
        """Answers in the order of `inputs`; a failed item holds its error instead."""
        limit = asyncio.Semaphore(max_concurrency or len(inputs) or 1)

        async def one(item: MessagesInput) -> Response | ProviderError:
            async with limit:
                try:
                    return await self.ainvoke(item)
                except ProviderError as error:
                    return error

        return list(await asyncio.gather(*(one(item) for item in inputs)))

    def batch(
        self, inputs: Sequence[MessagesInput], *, max_concurrency: int | None = None
    ) -> list[Response | ProviderError]:
        return run_sync(self.abatch(inputs, max_concurrency=max_concurrency))


class StructuredOutputModel:
    """What `with_structured_output` returns: `invoke` gives the validated object itself."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    async def ainvoke(self, messages: MessagesInput) -> Any:
        return (await self.model.ainvoke(messages)).parsed

    def invoke(self, messages: MessagesInput) -> Any:
        return run_sync(self.ainvoke(messages))

    async def abatch(self, inputs: Sequence[MessagesInput], *, max_concurrency: int | None = None):
        answers = await self.model.abatch(inputs, max_concurrency=max_concurrency)
        return [a if isinstance(a, ProviderError) else a.parsed for a in answers]

    def batch(self, inputs: Sequence[MessagesInput], *, max_concurrency: int | None = None):
        return run_sync(self.abatch(inputs, max_concurrency=max_concurrency))


def run_sync(coroutine: Awaitable[T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop, on a
    loop of its own whose pooled clients are closed when it ends."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(closing_clients(coroutine))
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(closing_clients(coroutine)))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
