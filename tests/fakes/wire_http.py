"""Just enough HTTP/1.1 for the fake provider: read a request, send a JSON or raw answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any


async def read_request(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return {"method": method, "path": path, "headers": headers, "body": body}


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
