"""httpx clients for provider requests.

Building an SSL context (loading the CA bundle) costs ~30 ms — more than a local model's
time to first token — so one context is made per process and shared by every client.
"""

from __future__ import annotations

import ssl
import threading

import httpx

_ssl_context: ssl.SSLContext | None = None
_lock = threading.Lock()


def shared_ssl_context() -> ssl.SSLContext:
    global _ssl_context
    with _lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def new_client(
    *, timeout: httpx.Timeout | float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, timeout=timeout, verify=shared_ssl_context())
