"""Just enough HTTP/1.1 for the fake provider: read the requests of a keep-alive connection,
send a JSON or raw answer, stream a chunked body while noticing a client that left."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


class ConnectionReader:
    """What a client sends on one keep-alive connection, buffered here. While a response
    streams, the server keeps reading (`wait_closed`) to notice a client that leaves; whatever
    arrives meanwhile — the start of the client's next request — stays here for the next
    `read_request`, so no byte is lost."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.buffer = bytearray()
        self.closed = False  # the client closed its side, or the connection broke

    async def _more(self) -> bool:
        if self.closed:
            return False
        try:
            # Cancelled while waiting, nothing is lost: unread bytes stay in the StreamReader.
            data = await self.reader.read(65536)
        except ConnectionError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    async def read_until(self, separator: bytes) -> bytes | None:
        """The bytes up to and including `separator`; None if the client closed first."""
        while (end := self.buffer.find(separator)) < 0:
            if not await self._more():
                return None
        return self._take(end + len(separator))

    async def read_exactly(self, count: int) -> bytes | None:
        while len(self.buffer) < count:
            if not await self._more():
                return None
        return self._take(count)

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    async def wait_closed(self) -> None:
        """Read, and keep, what the client sends until it closes the connection (a task of
        this is how a streamed response notices a client that left)."""
        while await self._more():
            pass


async def read_request(incoming: ConnectionReader) -> dict[str, Any] | None:
    """The next request on the connection; None once the client has closed it. Its
    `received_at` is the wall-clock time its head arrived."""
    head = await incoming.read_until(b"\r\n\r\n")
    if head is None:
        return None
    received_at = time.time()
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await incoming.read_exactly(length) if length else b""
    if body is None:
        return None
    return {"method": method, "path": path, "headers": headers, "body": body,
            "received_at": received_at}  # fmt: skip


async def send_json(writer: asyncio.StreamWriter, status: int, payload: Any, headers=None) -> None:
    await send_raw(writer, status, json.dumps(payload).encode(), "application/json", headers)


async def send_raw(writer, status: int, body: bytes, content_type: str, headers=None) -> None:
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
              429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
              503: "Service Unavailable"}.get(status, "Error")  # fmt: skip
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


async def send_error(writer, script: dict[str, Any]) -> None:
    body = script.get("error_body", {"error": {"message": "fake error"}})
    if isinstance(body, str):
        await send_raw(writer, script["status"], body.encode(), "text/html", script.get("headers"))
    else:
        await send_json(writer, script["status"], body, script.get("headers"))


# A streamed body is sent in chunks (Transfer-Encoding: chunked), so that its end is marked
# and the connection can carry the next request; an empty chunk would end it.
LAST_CHUNK = b"0\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


class ClientGone(Exception):
    """The client closed the connection while an answer was being sent."""


def stream_channel(writer: asyncio.StreamWriter, watcher: asyncio.Future):  # type: ignore[no-untyped-def]
    """send() and pause() for one streamed response; both notice a client that left."""

    async def send(data: bytes) -> None:
        if watcher.done():
            raise ClientGone
        if data:  # an empty chunk would end the body
            writer.write(chunk(data))
            await writer.drain()

    async def pause(seconds: float) -> None:
        if seconds <= 0:
            return
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
        if done:
            raise ClientGone

    return send, pause
