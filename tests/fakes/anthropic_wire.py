"""The fake provider's Anthropic Messages dialect: named SSE events, as in the reference and
the llama.cpp transcript."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.script_parts import arguments_text, in_stream_error_message

Send = Callable[[bytes], Awaitable[None]]
Pause = Callable[[float], Awaitable[None]]


class Stalled(Exception):
    """The script asked to go silent; the server waits for the client to leave."""


def event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}


async def emit(
    model: str, tokens: list[str], script: dict[str, Any], send: Send, pause: Pause
) -> None:
    delay = script.get("delay_s", 0)
    started = time.monotonic()
    usage = script.get("usage") or {}
    await send(event("message_start", {"type": "message_start", "message": {
        "id": "msg_fake", "type": "message", "role": "assistant", "content": [], "model": model,
        "usage": {"input_tokens": usage.get("prompt_tokens", 5), "output_tokens": 1}}}))  # fmt: skip
    await send(event("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": {"type": "text", "text": ""}}))  # fmt: skip
    for index, token in enumerate(tokens):
        if script.get("error_after_tokens") == index:
            message = in_stream_error_message(script, "Overloaded")
            await send(event("error", error_body("overloaded_error", message)))
            return
        if script.get("stall_after_tokens") == index:
            raise Stalled
        if script.get("stamp"):
            token = f"{token.rstrip()}@{time.time():.6f} "
        await send(event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                 "delta": {"type": "text_delta", "text": token}}))  # fmt: skip
        await pause(started + (index + 1) * delay - time.monotonic())
    if script.get("end_without_done"):
        return
    await send(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    for position, call in enumerate(script.get("tool_calls", [])):
        index = position + 1  # block 0 is the text
        await send(
            event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": call["name"],
                        "input": {},
                    },
                },
            )
        )
        await send(
            event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": arguments_text(script, position),
                    },
                },
            )
        )
        await send(event("content_block_stop", {"type": "content_block_stop", "index": index}))  # fmt: skip
    await send(event("message_delta", {"type": "message_delta",
        "delta": {"stop_reason": "tool_use" if script.get("tool_calls") else
                  {"length": "max_tokens"}.get(script.get("finish_reason", ""), "end_turn"),
                  "stop_sequence": None},
        "usage": {"output_tokens": usage.get("completion_tokens", len(tokens))}}))  # fmt: skip
    await send(event("message_stop", {"type": "message_stop"}))
