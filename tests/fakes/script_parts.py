"""What every dialect of the fake provider reads from a script the same way."""

from __future__ import annotations

import json
from typing import Any


def in_stream_error_message(script: dict[str, Any], default: str) -> str:
    """The text of the in-stream error `error_after_tokens` sends (`error_message`)."""
    return str(script.get("error_message", default))


def arguments_text(script: dict[str, Any], index: int) -> str:
    """A tool call's arguments as the JSON text most dialects carry them in (OpenAI's
    `arguments`, Anthropic's `partial_json`, Bedrock's `input`), or the script's
    `raw_tool_arguments` verbatim for the first call."""
    if index == 0 and "raw_tool_arguments" in script:
        return str(script["raw_tool_arguments"])
    return json.dumps(script["tool_calls"][index]["arguments"])


def arguments_object(script: dict[str, Any], index: int) -> Any:
    """The same for dialects that carry an object (Gemini's `args`, Ollama's `arguments`):
    the raw string stands in the object's place."""
    if index == 0 and "raw_tool_arguments" in script:
        return str(script["raw_tool_arguments"])
    return script["tool_calls"][index]["arguments"]
