"""Pooled httpx clients for provider requests.

One `httpx.AsyncClient` per event loop and per (transport, origin of the URL): its keep-alive
connections spare every request after the first to an origin the TCP and TLS handshakes (a
turn of six panes against one provider opens none once warm). The timeout is given per
request, never per client, so models with different timeouts share a client.

A client belongs to the loop that made it — httpcore's connections are bound to their loop —
and is never handed to another one. Who runs a loop closes its clients when it is done:
`aclose_clients()` at the server's shutdown; `closing_clients(...)` around a loop that lives
for one call (the sync wrappers' `asyncio.run`). Clients of a loop that closed without that
are dropped the next time a new loop asks for one, so they cannot pile up (aiohttp says so on
stderr, "Unclosed client session", when it collects them).

The transport underneath is aiohttp's (providers.aiohttp_transport), except where a test
injects its own.

Building an SSL context (loading the CA bundle) costs ~30 ms — more than a local model's
time to first token — so one context is made per process and shared by every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import weakref
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx

from providers.aiohttp_transport import Transport

T = TypeVar("T")
# Eight panes times many conversations on one origin stream at once (one HTTP/1.1 connection
# each; one process holds 300 streams, bench/concurrency.py); idle connections are kept long enough to outlast a user's pause between
# prompts, and httpcore drops one the server has closed before reusing it.
LIMITS = httpx.Limits(max_connections=1024, max_keepalive_connections=32, keepalive_expiry=30.0)
# Only for a request that names none; provider requests always name theirs.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

Origin = tuple[bytes, bytes, int | None]
ClientKey = tuple[httpx.AsyncBaseTransport | None, Origin]

_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()
_clients_lock = threading.Lock()  # loops in several threads (the sync wrappers') share the map
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ClientKey, httpx.AsyncClient]]
_clients = weakref.WeakKeyDictionary()


def shared_ssl_context() -> ssl.SSLContext:
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def origin(url: str) -> Origin:
    parsed = httpx.URL(url)
    return parsed.raw_scheme, parsed.raw_host, parsed.port


def pooled_client(
    url: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The running loop's client for the origin of `url` (through `transport`, when a test
    injects one), made on first use."""
    loop = asyncio.get_running_loop()
    key = (transport, origin(url))
    with _clients_lock:
        clients = _clients.get(loop)
        if clients is None:
            _drop_clients_of_closed_loops()
            clients = _clients[loop] = {}
        client = clients.get(key)
        if client is None or client.is_closed:
            client = clients[key] = httpx.AsyncClient(
                transport=transport or Transport(verify=shared_ssl_context(), limits=LIMITS),
                timeout=DEFAULT_TIMEOUT, limits=LIMITS,
            )  # fmt: skip
        return client


def _drop_clients_of_closed_loops() -> None:
    """Forget the clients of loops that closed without closing them. (A client with open
    connections refers to its loop, so the weak key alone would never let go.) Their sockets
    are closed when the connections are collected."""
    closed = [loop for loop in list(_clients) if loop.is_closed()]
    for loop in closed:
        _clients.pop(loop, None)


def shared_client(
    url: str, *, timeout: httpx.Timeout | float, transport: httpx.AsyncBaseTransport | None = None
) -> RequestClient:
    """The pooled client of `url`'s origin with one request's timeout, to use as one would a
    client of one's own: `async with shared_client(url, timeout=10) as client: ...`."""
    return RequestClient(pooled_client(url, transport=transport), timeout)


class RequestClient:
    """A pooled client and the timeout of the requests made through it. Leaving `async with`
    closes nothing: the connection of a finished response goes back to the pool."""

    __slots__ = ("client", "timeout")

    def __init__(self, client: httpx.AsyncClient, timeout: httpx.Timeout | float) -> None:
        self.client = client
        self.timeout = timeout

    async def __aenter__(self) -> RequestClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, timeout=self.timeout, **kwargs)

    def stream(
        self, method: str, url: str, **kwargs: Any
    ) -> contextlib.AbstractAsyncContextManager[httpx.Response]:
        """`client.stream`: leaving it before the body's end closes that connection at once
        (what Stop relies on); after the end, the connection is kept for the next request."""
        return self.client.stream(method, url, timeout=self.timeout, **kwargs)


async def aclose_clients() -> None:
    """Close the running loop's clients and their connections (at shutdown, or when a loop
    that made requests is about to end). Requests made afterwards get new clients."""
    loop = asyncio.get_running_loop()
    with _clients_lock:
        clients = _clients.pop(loop, {})
    for client in clients.values():
        await client.aclose()


async def closing_clients(coroutine: Awaitable[T]) -> T:
    """Await `coroutine`, then close the clients it made: for a loop that ends with it."""
    try:
        return await coroutine
    finally:
        await aclose_clients()
