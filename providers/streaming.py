"""What every protocol does the same way: POST a body, map HTTP and transport failures, and
hand the decoded events over one batch per network read. A protocol brings its decoder."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Protocol

import httpx

from providers.errors import MalformedResponseError, ProviderError
from providers.events import StreamEvent
from providers.http_client import shared_client
from providers.http_errors import error_from_response, error_from_transport

if TYPE_CHECKING:
    from providers.chat_model import BaseChatModel

# How long the rest of a complete body may take to arrive before its connection is given up.
FINISH_BODY_WAIT_S = 0.2


class Decoder(Protocol):
    """Turns a response body into events. `feed` yields the events of one network read and
    stops once the stream says it is complete (`done`); `close` handles the end of the body;
    `cut_message` explains a body that ended before `done`."""

    done: bool
    cut_message: str

    def feed(self, chunk: bytes) -> Iterator[StreamEvent]: ...

    def close(self) -> Iterator[StreamEvent]: ...


async def decode_batches(
    response: httpx.Response, decoder: Decoder, provider: str
) -> AsyncIterator[list[StreamEvent]]:
    """Events in batches; an error in the middle still delivers what came before it, so the
    partial answer is kept."""
    chunks = response.aiter_bytes()
    async for chunk in chunks:
        batch: list[StreamEvent] = []
        try:
            for event in decoder.feed(chunk):
                batch.append(event)
        except ProviderError:
            if batch:
                yield batch
            raise
        if batch:
            yield batch
        if decoder.done:
            await finish_body(chunks)
            return
    batch = list(decoder.close())
    if batch:
        yield batch
    if not decoder.done:
        raise MalformedResponseError(decoder.cut_message, provider=provider)


async def finish_body(chunks: AsyncIterator[bytes]) -> None:
    """Read the rest of a body whose stream said it was complete — the end of the chunked
    encoding, which usually follows the end marker at once — so that its connection can go
    back to the pool: httpcore closes a connection whose response was left unfinished. A
    server that goes on after its end marker is not waited for; its connection is closed."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError):  # the answer is complete anyway
        async with asyncio.timeout(FINISH_BODY_WAIT_S):
            async for _ in chunks:
                pass


async def post_stream(
    model: BaseChatModel, url: str, body: bytes, headers: dict[str, str], decoder: Decoder
) -> AsyncIterator[list[StreamEvent]]:
    """One HTTP attempt, on the pooled connection of the URL's origin. Cancelling the
    consumer leaves `client.stream` before the body's end, which closes that connection at
    once (what Stop relies on); a body read to its end leaves it in the pool."""
    config = model.config
    timeout = httpx.Timeout(config.timeout, connect=min(config.timeout, 10.0))
    async with shared_client(url, timeout=timeout, transport=model._transport) as client:
        try:
            async with client.stream("POST", url, content=body, headers=headers) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", errors="replace")
                    raise error_from_response(
                        response, text, provider=config.provider,
                        secrets=model.secret_values(), retry_hint=model.body_retry_hint(text),
                    )  # fmt: skip
                async for batch in decode_batches(response, decoder, config.provider):
                    yield batch
        except httpx.HTTPError as error:
            raise error_from_transport(error, provider=config.provider, url=url) from None
