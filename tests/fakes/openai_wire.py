"""The OpenAI Chat Completions dialect of the fake provider: its chunks, whole answers and
errors, and Azure OpenAI's paths onto the same routes (the other dialects are *_wire.py)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes import anthropic_wire, gemini_wire


def sse_chunk(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def delta_chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "choices": [{"finish_reason": finish, "index": 0, "delta": delta}],
        "created": int(time.time()),
        "id": "chatcmpl-fake",
        "model": model,
        "system_fingerprint": "fake",
        "object": "chat.completion.chunk",
    }


def azure_path(path: str, request: dict[str, Any]) -> str:
    """/openai/v1/... and /openai/deployments/{name}/... map onto the OpenAI routes."""
    if path.startswith("/openai/v1/"):
        return path.removeprefix("/openai")
    parts = path.split("/")  # ["", "openai", "deployments", name, "chat", "completions"]
    if len(parts) >= 5 and parts[2] == "deployments":
        request["model"] = parts[3]
        return "/v1/" + "/".join(parts[4:])
    return path


def auth_error(protocol: str = "openai") -> dict[str, Any]:
    if protocol == "anthropic":
        return anthropic_wire.error_body("authentication_error", "invalid x-api-key")
    if protocol == "ollama":
        return {"error": "unauthorized"}
    if protocol == "gemini":
        return gemini_wire.error(401, "UNAUTHENTICATED", "API key not valid.")
    return {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                      "code": "invalid_api_key"}}  # fmt: skip


def whole_response(model: str, tokens: list[str], script: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(tokens)},
                     "finish_reason": script.get("finish_reason", "stop")}],
        "usage": {"prompt_tokens": 1, "completion_tokens": len(tokens), "total_tokens": len(tokens) + 1},
    }  # fmt: skip
