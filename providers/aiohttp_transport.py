"""httpx requests carried by aiohttp (httpx-aiohttp), with failures named as httpx names them.

httpx's own transport (httpcore, h11 and anyio) spends ~130 µs of CPU per read of a streamed
body, a cancel scope and two parsers' worth of Python for every chunk; aiohttp's C parser
and stream reader spend a fraction of that, which is what lets one process relay hundreds of
answers at once (bench/concurrency.py). Everything above the transport stays httpx: the
provider modules, MockTransport in the tests, Bedrock's request signing.

httpx-aiohttp maps aiohttp's failures to httpx's too loosely (a refused connection and a
dropped body both become ConnectTimeout), and the provider layer tells the user which of
them happened, so each failure is named again here from the aiohttp error underneath.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# Most specific first: the first class the aiohttp error is an instance of names it.
_NAMES: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # a body cut short
    (aiohttp.ClientConnectionResetError, httpx.ReadError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (TimeoutError, httpx.ReadTimeout),
)


def renamed(error: Exception) -> Exception:
    """The httpx error for what went wrong underneath `error` (itself when nothing better)."""
    cause = error.__cause__ if isinstance(error, httpx.HTTPError) else error
    for aiohttp_kind, httpx_kind in _NAMES:
        if isinstance(cause, aiohttp_kind):
            return httpx_kind(str(cause) or type(cause).__name__)
    return error


class _Body(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self.inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as error:
            raise renamed(error) from error

    async def aclose(self) -> None:
        await self.inner.aclose()


class Transport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError) as error:
            raise renamed(error) from error
        response.stream = _Body(response.stream)
        return response
