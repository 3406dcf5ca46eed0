"""The fake provider's Ollama dialect: NDJSON lines from /api/chat, models from /api/tags."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.anthropic_wire import Stalled
from tests.fakes.script_parts import arguments_object, in_stream_error_message

Send = Callable[[bytes], Awaitable[None]]
Pause = Callable[[float], Awaitable[None]]


def line(data: dict[str, Any]) -> bytes:
    return (json.dumps(data) + "\n").encode()


def tags(models: list[str]) -> dict[str, Any]:
    return {
        "models": [{"name": name, "model": name, "size": 1, "digest": "fake"} for name in models]
    }


async def emit(
    model: str, tokens: list[str], script: dict[str, Any], send: Send, pause: Pause
) -> None:
    delay = script.get("delay_s", 0)
    started = time.monotonic()
    for index, token in enumerate(tokens):
        if script.get("error_after_tokens") == index:
            message = in_stream_error_message(script, "the fake server failed mid-stream")
            await send(line({"error": message}))
            return
        if script.get("stall_after_tokens") == index:
            raise Stalled
        if script.get("stamp"):
            token = f"{token.rstrip()}@{time.time():.6f} "
        await send(line({"model": model, "created_at": "2026-01-01T00:00:00Z",
                         "message": {"role": "assistant", "content": token}, "done": False}))  # fmt: skip
        await pause(started + (index + 1) * delay - time.monotonic())
    if script.get("end_without_done"):
        return
    calls = [{"id": c["id"], "function": {"name": c["name"], "arguments": arguments_object(script, i)}}
             for i, c in enumerate(script.get("tool_calls", []))]  # fmt: skip
    if calls:
        await send(line({"model": model, "message": {"role": "assistant", "content": "",
                                                     "tool_calls": calls}, "done": False}))  # fmt: skip
    usage = script.get("usage") or {}
    await send(line({"model": model, "created_at": "2026-01-01T00:00:01Z",
                     "message": {"role": "assistant", "content": ""}, "done": True,
                     "done_reason": script.get("finish_reason", "stop"),
                     "total_duration": 1000, "prompt_eval_count": usage.get("prompt_tokens", 5),
                     "eval_count": usage.get("completion_tokens", len(tokens))}))  # fmt: skip
