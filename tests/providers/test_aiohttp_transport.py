"""httpx over aiohttp: each failure underneath keeps the httpx name the provider layer reads
to tell the user what happened (httpx-aiohttp alone calls a refused connection and a body
cut short both a connect timeout)."""

from __future__ import annotations

import aiohttp
import httpx
import pytest

from providers.aiohttp_transport import renamed


def through_httpx_aiohttp(error: Exception) -> httpx.HTTPError:
    """As httpx-aiohttp raises it: its own (loose) name, the aiohttp error as the cause."""
    wrapped = httpx.ConnectTimeout(str(error))
    wrapped.__cause__ = error
    return wrapped


@pytest.mark.parametrize(
    ("underneath", "named"),
    [
        (aiohttp.ClientConnectorError(
            aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None),
            ConnectionRefusedError(111, "Connection refused"),
        ), httpx.ConnectError),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("Response payload is not completed"), httpx.RemoteProtocolError),
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.ReadError),
    ],
)  # fmt: skip
def test_each_failure_gets_the_httpx_name_of_what_happened(underneath, named):
    assert type(renamed(through_httpx_aiohttp(underneath))) is named
    assert type(renamed(underneath)) is named


def test_an_error_with_nothing_better_underneath_is_left_as_it_is():
    error = httpx.UnsupportedProtocol("ftp is not http")
    assert renamed(error) is error


@pytest.mark.live
async def test_a_body_cut_short_by_the_server_says_the_connection_broke_off(fake_provider):
    """The real transport against the fake: a stream the server drops mid-body."""
    from providers.http_client import pooled_client

    client = pooled_client(fake_provider.base_url)
    body = {"model": "fake-drop-mid-stream", "stream": True,
            "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
    with pytest.raises(httpx.RemoteProtocolError):
        async with client.stream("POST", fake_provider.base_url + "/chat/completions",
                                 json=body, timeout=5) as response:  # fmt: skip
            async for _chunk in response.aiter_bytes():
                pass
