"""AWS event-stream frames (application/vnd.amazon.eventstream) with valid CRCs, for the
Bedrock ConverseStream dialect of the fake provider and for replay tests."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return (struct.pack("B", len(encoded_name)) + encoded_name + b"\x07"
            + struct.pack(">H", len(encoded_value)) + encoded_value)  # fmt: skip


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    encoded_headers = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + encoded_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(kind: str, body: dict[str, Any]) -> bytes:
    headers = {":message-type": "event", ":event-type": kind, ":content-type": "application/json"}
    return frame(headers, json.dumps(body).encode())


def exception(kind: str, message: str) -> bytes:
    headers = {
        ":message-type": "exception",
        ":exception-type": kind,
        ":content-type": "application/json",
    }
    return frame(headers, json.dumps({"message": message}).encode())


def text_stream(pieces: list[str], stop_reason: str = "end_turn", usage=(7, 3)) -> bytes:
    frames = [event("messageStart", {"role": "assistant"})]
    frames += [
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": p}}) for p in pieces
    ]
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": stop_reason}),
        event("metadata", {"usage": {"inputTokens": usage[0], "outputTokens": usage[1]},
                           "metrics": {"latencyMs": 12}}),
    ]  # fmt: skip
    return b"".join(frames)


async def emit(model: str, tokens: list[str], script: dict[str, Any], send, pause) -> None:
    """The fake provider's Bedrock dialect, paced like the others."""
    import time

    from tests.fakes.anthropic_wire import Stalled
    from tests.fakes.script_parts import arguments_text, in_stream_error_message

    delay = script.get("delay_s", 0)
    started = time.monotonic()
    await send(event("messageStart", {"role": "assistant"}))
    for index, token in enumerate(tokens):
        if script.get("error_after_tokens") == index:
            message = in_stream_error_message(script, "the fake server failed mid-stream")
            await send(exception("modelStreamErrorException", message))
            return
        if script.get("stall_after_tokens") == index:
            raise Stalled
        if script.get("stamp"):
            token = f"{token.rstrip()}@{time.time():.6f} "
        await send(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": token}}))
        await pause(started + (index + 1) * delay - time.monotonic())
    if script.get("end_without_done"):
        return
    usage = script.get("usage") or {}
    await send(event("contentBlockStop", {"contentBlockIndex": 0}))
    for position, call in enumerate(script.get("tool_calls", [])):
        index = position + 1  # block 0 is the text
        await send(
            event(
                "contentBlockStart",
                {
                    "contentBlockIndex": index,
                    "start": {"toolUse": {"toolUseId": call["id"], "name": call["name"]}},
                },
            )
        )
        await send(
            event(
                "contentBlockDelta",
                {
                    "contentBlockIndex": index,
                    "delta": {"toolUse": {"input": arguments_text(script, position)}},
                },
            )
        )
        await send(event("contentBlockStop", {"contentBlockIndex": index}))  # fmt: skip
    stop = (
        "tool_use"
        if script.get("tool_calls")
        else ({"length": "max_tokens"}.get(script.get("finish_reason", ""), "end_turn"))
    )
    await send(event("messageStop", {"stopReason": stop}))
    await send(event("metadata", {"usage": {"inputTokens": usage.get("prompt_tokens", 5),
                                            "outputTokens": usage.get("completion_tokens", len(tokens))}}))  # fmt: skip
