"""What the fake provider notes about a request: the media it carried, the user's words."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from PIL import Image

from media import IMAGE_TYPES, sniff


def media(value: Any) -> list[str]:
    """The media types of the images and audio a request carried, in any dialect."""
    return [item["declared"] for item in media_received(value)]


def media_received(value: Any) -> list[dict[str, Any]]:
    """Each image and recording a request carried, in any dialect: the type it was declared
    as, the type its bytes really are, its size, and an image's dimensions — so tests can
    assert that each provider kind got correctly encoded parts."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image_url" and isinstance(item, dict):
                url = item.get("url", "")
                header, _, data = url.partition(",")
                found.append(_part(header[5:].split(";")[0] or "image", data))
            elif key == "inlineData":
                found.append(_part(item.get("mimeType", ""), item.get("data", "")))
            elif key == "source" and isinstance(item, dict) and item.get("media_type"):
                found.append(_part(item["media_type"], item.get("data", "")))
            elif key == "images" and isinstance(item, list):
                found += [_part("image", data) for data in item]
            elif key in ("image", "audio") and isinstance(item, dict) and "format" in item:
                found.append(_part(f"{key}/{item['format']}", item["source"].get("bytes", "")))
            elif key == "input_audio":
                found.append(_part(f"audio/{item.get('format', '')}", item.get("data", "")))
            else:
                found += media_received(item)
    elif isinstance(value, list):
        for item in value:
            found += media_received(item)
    return found


def _part(declared: str, encoded: str) -> dict[str, Any]:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return {"declared": declared, "sniffed": None, "bytes": 0, "error": "not base64"}
    part: dict[str, Any] = {"declared": declared, "sniffed": sniff(data), "bytes": len(data)}
    if part["sniffed"] in IMAGE_TYPES:
        try:
            with Image.open(io.BytesIO(data)) as image:
                part["width"], part["height"] = image.size
        except (OSError, SyntaxError):  # a stand-in that starts like an image, in unit tests
            part["width"] = part["height"] = None
    return part


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
