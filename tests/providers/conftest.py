"""Helpers for provider tests: replay bytes through httpx.MockTransport in chosen chunk sizes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
CHUNK_SIZES = [1, 7, 13, 4096]


def transcript(name: str) -> bytes:
    return (TRANSCRIPTS / name).read_bytes()


class ChunkedStream(httpx.AsyncByteStream):
    """A response body delivered in pieces of `size` bytes, as a slow network would."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.size = size

    async def __aiter__(self) -> Iterator[bytes]:  # type: ignore[override]
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


def sse_response(data: bytes, size: int = 4096, status: int = 200, headers=None) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "text/event-stream", **(headers or {})},
        stream=ChunkedStream(data, size),
    )


def sse(*payloads: object) -> bytes:
    """SSE bytes from JSON payloads (strings are sent as they are, e.g. "[DONE]")."""
    parts = []
    for payload in payloads:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        parts.append(f"data: {data}\n\n")
    return "".join(parts).encode()


def text_chunk(text: str, finish: str | None = None) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


class Recorder:
    """A MockTransport handler answering from a list of responses, recording the requests."""

    def __init__(self, *responses: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return response(request) if callable(response) else response

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def body(self, index: int = -1) -> dict:
        return json.loads(self.requests[index].content)


@pytest.fixture
def no_sleep() -> list[float]:
    """Pass `sleep=recorded.append`-style: records the delays instead of waiting."""
    return []


def recording_sleep(delays: list[float]):  # type: ignore[no-untyped-def]
    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    return sleep
