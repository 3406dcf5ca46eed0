"""The fake provider's Gemini dialect: whole GenerateContentResponse objects as SSE data
events, no [DONE], the last one with a finishReason and the usage."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.anthropic_wire import Stalled
from tests.fakes.script_parts import arguments_object, in_stream_error_message

Send = Callable[[bytes], Awaitable[None]]
Pause = Callable[[float], Awaitable[None]]


def data(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\r\n\r\n".encode()  # Google sends CRLF


def response(parts: list[dict[str, Any]], finish: str | None = None, usage=None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    payload: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": "fake",
        "responseId": "r1",
    }
    if usage:
        payload["usageMetadata"] = usage
    return payload


def models(names: list[str]) -> dict[str, Any]:
    return {"models": [{"name": f"models/{name}", "displayName": name} for name in names]}


def error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


async def emit(
    model: str, tokens: list[str], script: dict[str, Any], send: Send, pause: Pause
) -> None:
    delay = script.get("delay_s", 0)
    started = time.monotonic()
    for index, token in enumerate(tokens):
        if script.get("error_after_tokens") == index:
            message = in_stream_error_message(script, "the fake server failed mid-stream")
            await send(data(error(500, "INTERNAL", message)))
            return
        if script.get("stall_after_tokens") == index:
            raise Stalled
        if script.get("stamp"):
            token = f"{token.rstrip()}@{time.time():.6f} "
        await send(data(response([{"text": token}])))
        await pause(started + (index + 1) * delay - time.monotonic())
    if script.get("end_without_done"):
        return
    calls = [{"functionCall": {"name": c["name"], "args": arguments_object(script, i), "id": c["id"]}}
             for i, c in enumerate(script.get("tool_calls", []))]  # fmt: skip
    if calls:
        await send(data(response(calls)))
    counts = script.get("usage") or {}
    usage = {"promptTokenCount": counts.get("prompt_tokens", 5),
             "candidatesTokenCount": counts.get("completion_tokens", len(tokens)),
             "totalTokenCount": 5 + len(tokens)}  # fmt: skip
    await send(
        data(
            response(
                [{"text": ""}],
                script.get(
                    "gemini_finish",
                    {"length": "MAX_TOKENS"}.get(script.get("finish_reason", ""), "STOP"),
                ),
                usage,
            )
        )
    )
