"""What the fake provider notes about a request: the media it carried, the user's words."""

from __future__ import annotations

from typing import Any


def media(value: Any) -> list[str]:
    """The media types of the images and audio a request carried, in any dialect."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image_url" and isinstance(item, dict):
                found.append(item.get("url", "")[5:].split(";")[0] or "image")
            elif key == "inlineData":
                found.append(item.get("mimeType", ""))
            elif key == "source" and isinstance(item, dict) and item.get("media_type"):
                found.append(item["media_type"])
            elif key == "images" and isinstance(item, list):
                found += ["image"] * len(item)
            elif key == "image" and isinstance(item, dict) and "format" in item:
                found.append(f"image/{item['format']}")
            elif key == "input_audio":
                found.append(f"audio/{item.get('format', '')}")
            else:
                found += media(item)
    elif isinstance(value, list):
        for item in value:
            found += media(item)
    return found


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or body.get("contents") or []):
        if message.get("role") == "user":
            content = message.get("content", message.get("parts"))
            if isinstance(content, list):
                return " ".join(p["text"] for p in content if isinstance(p, dict) and p.get("text"))
            return str(content or "")
    return ""


def prompt_tokens(body: dict[str, Any]) -> int:
    text = " ".join(str(m.get("content", "")) for m in body.get("messages") or [])
    return max(1, len(text.split()))


def limits(body: dict[str, Any], protocol: str) -> tuple[int | None, list[str]]:
    """The output-token limit and stop sequences a request asked for, in any dialect."""
    if protocol == "gemini":
        config = body.get("generationConfig") or {}
        return config.get("maxOutputTokens"), config.get("stopSequences") or []
    if protocol == "bedrock":
        config = body.get("inferenceConfig") or {}
        return config.get("maxTokens"), config.get("stopSequences") or []
    if protocol == "ollama":
        options = body.get("options") or {}
        return options.get("num_predict"), options.get("stop") or []
    if protocol == "anthropic":
        return body.get("max_tokens"), body.get("stop_sequences") or []
    stop = body.get("stop") or []
    return body.get("max_completion_tokens") or body.get("max_tokens"), (
        [stop] if isinstance(stop, str) else stop
    )


def apply_limits(tokens: list[str], limit: int | None, stops: list[str]) -> tuple[list[str], str]:
    """What a real model would send under these limits, and its normalised finish reason:
    the text cut before the first stop sequence ("stop"), or after `limit` tokens
    ("length")."""
    text = "".join(tokens)
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    if cut >= 0:
        kept, length = [], 0
        for token in tokens:
            if length + len(token) > cut:
                if cut > length:
                    kept.append(token[: cut - length])
                break
            kept.append(token)
            length += len(token)
        return kept, "stop"
    if limit is not None and len(tokens) > limit:
        return tokens[:limit], "length"
    return tokens, "stop"
